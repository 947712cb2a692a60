namespace Merx.Encoders;

/// <summary>
/// A pre-trained encoder could not be loaded (its package is missing, its model is damaged, or ONNX
/// Runtime's native library does not load). Commands that need the encoder stop with this message;
/// everything that does not need it keeps working.
/// </summary>
public sealed class EncoderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The one check every encoder runs on its model file before loading it.</summary>
internal static class ModelChecksum
{
    /// <summary>Throws <see cref="EncoderUnavailableException"/> unless <paramref name="model"/>'s SHA-256 is <paramref name="expected"/>.</summary>
    /// <param name="what">The file, as the message names it ("the text encoder's model (model.onnx)").</param>
    /// <param name="package">The NuGet package the file comes from (the message says to restore it).</param>
    public static void Verify(ReadOnlySpan<byte> model, string expected, string what, string package)
    {
        if (model.Length == 0) throw new EncoderUnavailableException($"{what} is missing or empty: it comes with the NuGet package {package} (dotnet restore, then rebuild)");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model));
        if (sha != expected)
            throw new EncoderUnavailableException($"{what} ({model.Length:N0} bytes) is damaged or not the expected model: SHA-256 {sha}, expected {expected}. Clear the NuGet cache entry for {package}, restore and rebuild.");
    }
}
