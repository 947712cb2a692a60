using System.Buffers.Binary;
using Merx.Encoders;
using SkiaSharp;
using static Merx.Tests.Shared.DrawnImages;

namespace Merx.Encoders.Tests;

/// <summary>One ResNet18 for the class (two ONNX files, 64 MB).</summary>
public sealed class ImageEncoderFixture : IDisposable
{
    public ImageEncoder Encoder { get; } = ImageEncoder.Load(threads: 1);
    public void Dispose() => Encoder.Dispose();
}

/// <summary>
/// Issue #19: item images through SkiaSharp and ResNet18. No real product image set is reachable here, so every
/// image is drawn by the test with SkiaSharp: the path (decode, resize, network, unit vector, per-item errors) is
/// what is tested, not the quality of the features on product photos.
/// </summary>
public sealed class ImageEncoderTests(ImageEncoderFixture fixture) : IClassFixture<ImageEncoderFixture>
{
    private ImageEncoder Encoder => fixture.Encoder;

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void A_drawn_image_gets_a_unit_512_vector_close_to_a_similar_drawing_and_far_from_a_different_one()
    {
        var disc = Encoder.Encode(Draw(SKColors.Red));
        var moved = Encoder.Encode(Draw(SKColors.Red, shift: 20));
        var jpeg = Encoder.Encode(Draw(SKColors.Red, format: SKEncodedImageFormat.Jpeg));
        var stripes = Encoder.Encode(Draw(SKColors.Blue, stripes: true));
        Assert.Equal(512, disc.Length);
        Assert.Equal(1.0, Math.Sqrt(Dot(disc, disc)), 5);
        Assert.Equal(disc, Encoder.Encode(Draw(SKColors.Red)));         // deterministic
        Assert.True(Dot(disc, moved) > Dot(disc, stripes) + 0.1, $"moved {Dot(disc, moved):F4}, stripes {Dot(disc, stripes):F4}");
        Assert.True(Dot(disc, jpeg) > 0.95, $"jpeg {Dot(disc, jpeg):F4}");
    }

    /// <summary>A PNG that declares <paramref name="w"/> × <paramref name="h"/> (IHDR, valid CRCs) with a few bytes of pixel data: a decompression-bomb header.</summary>
    internal static byte[] PngHeader(int w, int h)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; ihdr[9] = 2;   // 8-bit RGB
        var png = new List<byte>([137, 80, 78, 71, 13, 10, 26, 10]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(List<byte> png, string type, byte[] data)
    {
        var length = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        var body = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var crc = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
        png.AddRange(length); png.AddRange(body); png.AddRange(crc);
    }

    /// <summary>The PNG chunk CRC (ISO 3309, polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    [Theory]
    [InlineData("empty", "empty")]
    [InlineData("text", "not an image")]
    [InlineData("truncated", "truncated")]
    [InlineData("huge", "100,000 × 100,000")]
    public void A_hostile_image_is_refused_with_a_clear_reason(string kind, string expected)
    {
        var bytes = kind switch
        {
            "empty" => [],
            "text" => "<html>this is not a picture</html>"u8.ToArray(),
            "truncated" => Draw(SKColors.Green)[..600],
            _ => PngHeader(100_000, 100_000),
        };
        var e = Assert.Throws<ImageRejectedException>(() => Encoder.Encode(bytes));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_catalog_with_bad_images_encodes_the_good_ones_and_names_each_bad_one()
    {
        var red = Draw(SKColors.Red);
        Func<byte[]>?[] images =
        [
            () => red, null, () => Draw(SKColors.Green)[..600], () => red,               // item 3 repeats item 0's image
            () => throw new FileNotFoundException("no such file: /nope.png"), () => PngHeader(100_000, 3),
            () => Draw(SKColors.Blue, stripes: true),
        ];
        var r = CatalogImageEncoding.Encode(Encoder, images);
        Assert.Equal([true, false, false, true, false, false, true], r.Vectors.Present);
        Assert.Equal(2, r.Computed.Count);                                                 // red once, stripes once
        Assert.Equal([2, 4, 5], r.Errors.Select(e => e.Item));
        Assert.Contains("truncated", r.Errors[0].Error);
        Assert.Contains("no such file", r.Errors[1].Error);
        Assert.Contains("100,000", r.Errors[2].Error);
        Assert.Equal(r.Vectors.Of(0).ToArray(), r.Vectors.Of(3).ToArray());
        // A second run with the stored vectors encodes nothing again.
        var again = CatalogImageEncoding.Encode(Encoder, images, r.Computed);
        Assert.Empty(again.Computed);
        Assert.Equal(3, again.Reused);
    }

    [Fact]
    public void A_missing_or_damaged_model_is_refused_with_a_clear_message()
    {
        var dir = Directory.CreateTempSubdirectory("merx-resnet").FullName;
        try
        {
            var missing = Assert.Throws<EncoderUnavailableException>(() => ImageEncoder.Load(dir));
            Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", missing.Message);
            foreach (var f in new[] { ImageEncoder.PrepFile, ImageEncoder.ModelFile })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, f))!);
                File.Copy(Path.Combine(AppContext.BaseDirectory, f), Path.Combine(dir, f));
            }
            using (var ok = ImageEncoder.Load(dir)) Assert.Equal(512, ok.Dimension);
            var model = Path.Combine(dir, ImageEncoder.ModelFile);
            var bytes = File.ReadAllBytes(model);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(model, bytes);
            var damaged = Assert.Throws<EncoderUnavailableException>(() => ImageEncoder.Load(dir));
            Assert.Contains("damaged", damaged.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
