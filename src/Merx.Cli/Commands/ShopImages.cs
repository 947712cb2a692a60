using Merx.Core.Domain;
using SkiaSharp;

namespace Merx.Cli.Commands;

/// <summary>
/// Drawn product pictures for a generated shop (no real product image set is reachable here): one PNG per item,
/// a shape chosen by its leaf category in its colour attribute on white, so items that look alike are alike in
/// the catalog. They exercise the image path (decode, ResNet18, side information, cost); they say nothing about
/// how well ResNet18 features describe real product photos.
/// </summary>
internal static class ShopImages
{
    public const int Side = 256;

    /// <summary>Where an item's picture lies, relative to the shop folder (what items.jsonl's image field says).</summary>
    public static string RelativePath(Item item) => "images/" + item.Id + ".png";

    public static int Write(IEnumerable<Item> items, string folder, IProgress<string>? progress = null)
    {
        Directory.CreateDirectory(folder);
        var n = 0;
        foreach (var item in items)
        {
            File.WriteAllBytes(Path.Combine(folder, item.Id + ".png"), Draw(item));
            if (++n % 1000 == 0) progress?.Report($"generate: {n:N0} item images drawn");
        }
        return n;
    }

    internal static byte[] Draw(Item item)
    {
        var colour = item.Attributes.TryGetValue("color", out var c) && SKColor.TryParse(Hex(c), out var parsed) ? parsed : SKColors.Gray;
        var shape = (uint)StableHash(item.Category ?? "") % 4;
        using var bitmap = new SKBitmap(Side, Side);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = colour, IsAntialias = true };
            switch (shape)
            {
                case 0: canvas.DrawCircle(Side / 2f, Side / 2f, Side / 3f, paint); break;
                case 1: canvas.DrawRect(Side / 5f, Side / 5f, Side * 3 / 5f, Side * 3 / 5f, paint); break;
                case 2: canvas.DrawRoundRect(Side * 0.4f, Side / 8f, Side / 5f, Side * 3 / 4f, 12, 12, paint); break;   // a bottle
                default: for (var y = 0; y < Side; y += Side / 8) canvas.DrawRect(0, y, Side, Side / 16f, paint); break;
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static int StableHash(string s) { var h = 17; foreach (var ch in s) h = h * 31 + ch; return h & 0x7FFFFFFF; }

    /// <summary>A colour name of the generator → an RGB hex (unknown names hash to a colour).</summary>
    private static string Hex(string name) => name.ToLowerInvariant() switch
    {
        "black" => "#202020", "white" => "#f4f4f4", "red" => "#d02020", "blue" => "#2040d0", "green" => "#20a040",
        "silver" => "#c0c0c8", "gold" => "#d4af37", "pink" => "#f080b0", "brown" => "#8b5a2b", "grey" or "gray" => "#808080",
        "navy" => "#1a2a6c", "beige" => "#e8d8b0", "purple" => "#8040a0", "orange" => "#f08020", "yellow" => "#f0d020",
        _ => $"#{StableHash(name) & 0xFFFFFF:x6}",
    };
}
