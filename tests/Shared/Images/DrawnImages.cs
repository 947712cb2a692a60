using SkiaSharp;

namespace Merx.Tests.Shared;

/// <summary>
/// Pictures drawn for the image tests (issue #19; no real product image set is reachable here). Compiled into the
/// test projects that reference SkiaSharp (Encoders, Cli, Server), not into every one like the files beside this folder.
/// </summary>
public static class DrawnImages
{
    /// <summary>A drawn "product": a filled disc (or, with <paramref name="stripes"/>, horizontal stripes) of a colour on white.</summary>
    public static byte[] Draw(SKColor colour, bool stripes = false, int size = 300, float shift = 0, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(size, size);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = colour, IsAntialias = true };
            if (stripes)
                for (var y = 0; y < size; y += size / 10) canvas.DrawRect(0, y, size, size / 20f, paint);
            else canvas.DrawCircle(size / 2f + shift, size / 2f, size / 3f, paint);
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
