namespace Merx.Encoders;

/// <summary>
/// A pre-trained encoder could not be loaded (its package is missing, its model is damaged, or ONNX
/// Runtime's native library does not load). Commands that need the encoder stop with this message;
/// everything that does not need it keeps working.
/// </summary>
public sealed class EncoderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
