// Placeholder until the target has code; delete when adding the first file.
