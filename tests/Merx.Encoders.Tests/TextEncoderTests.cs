using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;

namespace Merx.Encoders.Tests;

/// <summary>One encoder for the class: loading the 90 MB model takes about a second.</summary>
public sealed class EncoderFixture : IDisposable
{
    public TextEncoder Encoder { get; } = TextEncoder.Load(threads: 1);
    public void Dispose() => Encoder.Dispose();
}

public sealed class TextEncoderTests(EncoderFixture fixture) : IClassFixture<EncoderFixture>
{
    private TextEncoder Encoder => fixture.Encoder;

    [Fact]
    public void Paraphrases_are_close_and_unrelated_products_far()
    {
        var v = Encoder.Encode(["waterproof black hiking boots", "men's trail shoes, water resistant", "pink lipstick"]);
        Assert.Equal(3, v.Length);
        Assert.All(v, x => Assert.Equal(384, x.Length));
        Assert.All(v, x => Assert.Equal(1.0, Math.Sqrt(x.Sum(f => (double)f * f)), 5));
        // Values recorded from all-MiniLM-L6-v2 on ONNX Runtime (the sentence-transformers reference gives the same to 3 digits).
        Assert.Equal(0.7112, Dot(v[0], v[1]), 3);
        Assert.Equal(0.1729, Dot(v[0], v[2]), 3);
    }

    [Fact]
    public void Encoding_is_deterministic_and_independent_of_the_batch()
    {
        var alone = Encoder.Encode(["Toy Story (1995). Category: Animation."])[0];
        var batched = Encoder.Encode(["Heat (1995). Category: Action.", "Toy Story (1995). Category: Animation."])[1];
        for (var i = 0; i < alone.Length; i++) Assert.Equal(alone[i], batched[i], 4);
    }

    [Fact]
    public void A_damaged_or_missing_model_is_refused_with_a_clear_message()
    {
        var damaged = new byte[1000];
        var e = Assert.Throws<EncoderUnavailableException>(() => TextEncoder.Verify(damaged));
        Assert.Contains("damaged", e.Message);
        Assert.Contains("SHA-256", e.Message);
        var missing = Assert.Throws<EncoderUnavailableException>(() => TextEncoder.Verify([]));
        Assert.Contains("missing", missing.Message);
    }

    [Fact]
    public void Catalog_encoding_skips_items_without_text_and_reuses_known_contents()
    {
        Item?[] catalog =
        [
            new Item { Id = "a", Title = "Toy Story (1995)", Tags = ["Animation", "Comedy"] },
            new Item { Id = "b" },                                   // nothing to read: no vector
            null,                                                    // unknown to the catalog
            new Item { Id = "c", Title = "Heat (1995)", Tags = ["Action"] },
            new Item { Id = "d", Title = "Toy Story (1995)", Tags = ["Animation", "Comedy"] }, // same content as a
        ];
        var first = CatalogTextEncoding.Encode(Encoder, catalog);
        Assert.Equal([true, false, false, true, true], first.Vectors.Present);
        Assert.Equal(2, first.Computed.Count);                       // a and d share one content
        Assert.Equal(0, first.Reused);
        Assert.Equal(first.Vectors.Of(0).ToArray(), first.Vectors.Of(4).ToArray());
        Assert.All(first.Vectors.Of(1).ToArray(), x => Assert.Equal(0f, x));

        // A stored vector is used as is (here a marker vector no encoder would produce); a changed title is encoded again.
        var hashA = ItemText.Hash(catalog[0]!, Encoder.Id)!;
        var marker = new float[384]; marker[7] = 1;
        catalog[3] = catalog[3]! with { Title = "Heat (1995), the Michael Mann film" };
        var second = CatalogTextEncoding.Encode(Encoder, catalog, new Dictionary<string, float[]> { [hashA] = marker });
        Assert.Equal(2, second.Reused);
        Assert.Equal([ItemText.Hash(catalog[3]!, Encoder.Id)!], second.Computed.Keys.ToArray());
        Assert.Equal(marker, second.Vectors.Of(0).ToArray());
        Assert.NotEqual(first.Vectors.Of(3).ToArray(), second.Vectors.Of(3).ToArray());
    }

    private static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
}
