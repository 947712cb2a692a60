using SkiaSharp;

namespace Merx.Encoders;

/// <summary>An image that cannot be used (not an image, truncated, too large): the message says which, for one item.</summary>
public sealed class ImageRejectedException(string message) : Exception(message);

/// <summary>
/// Decodes untrusted image bytes with SkiaSharp (PNG, JPEG, WebP, GIF, BMP, ICO) into the network's input:
/// (3, 224, 224) planar RGB in 0..255, the image stretched to 224 × 224 as ML.NET's ResNet featurizer does.
/// Hostile input is refused before any pixel is allocated: a byte limit, a header that Skia's codec must
/// recognise, and width/height limits read from that header; a truncated file is refused, not half-read.
/// </summary>
public static class ImageDecoding
{
    public const int Side = 224;
    /// <summary>At most this many bytes per image (a product photo is well below it).</summary>
    public const int MaxBytes = 20 << 20;
    /// <summary>At most this many pixels per side, and <see cref="MaxPixels"/> in all (a decompression bomb declares far more).</summary>
    public const int MaxSide = 12_000;
    public const long MaxPixels = 40_000_000;

    /// <summary>(3 × 224 × 224) RGB planes, values 0..255 (alpha composited over white).</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a usable image; the message says why.</exception>
    public static float[] ToNetworkInput(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) throw new ImageRejectedException("the image is empty");
        if (bytes.Length > MaxBytes) throw new ImageRejectedException($"the image has {bytes.Length:N0} bytes, more than the {MaxBytes:N0} allowed");
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw new ImageRejectedException("not an image in a known format (PNG, JPEG, WebP, GIF, BMP, ICO)");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0) throw new ImageRejectedException($"the image declares no pixels ({w} × {h})");
        if (w > MaxSide || h > MaxSide || (long)w * h > MaxPixels)
            throw new ImageRejectedException($"the image declares {w:N0} × {h:N0} pixels, more than the {MaxSide:N0} per side or {MaxPixels:N0} in all allowed");
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var full = new SKBitmap(info);
        var result = codec.GetPixels(info, full.GetPixels());
        if (result != SKCodecResult.Success)
            throw new ImageRejectedException(result == SKCodecResult.IncompleteInput ? "the image is truncated (its data ends before its last row)" : $"the image could not be decoded ({result})");
        using var small = full.Resize(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new ImageRejectedException("the image could not be resized");
        return Planes(small.GetPixelSpan());
    }

    /// <summary>RGBA8888 rows (224 × 224 × 4 bytes) → RGB planes, alpha composited over white.</summary>
    internal static float[] Planes(ReadOnlySpan<byte> rgba)
    {
        const int n = Side * Side;
        var planes = new float[3 * n];   // (3, 224, 224)
        for (var p = 0; p < n; p++)
        {
            var a = rgba[4 * p + 3] / 255f;
            for (var c = 0; c < 3; c++) planes[c * n + p] = rgba[4 * p + c] * a + 255f * (1 - a);
        }
        return planes;
    }
}
