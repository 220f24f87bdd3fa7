import LowBitCore
