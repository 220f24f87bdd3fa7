public enum LowBitTokenizersPlaceholder {}
