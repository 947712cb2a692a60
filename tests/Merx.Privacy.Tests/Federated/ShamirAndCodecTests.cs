using Merx.Privacy.Federated;

namespace Merx.Privacy.Tests.Federated;

public class ShamirAndCodecTests
{
    [Fact]
    public void Any_t_shares_recover_the_secret()
    {
        var secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 37 + 5)).ToArray();
        var shares = Shamir.Split(secret, threshold: 4, shares: 9);
        var rng = new Random(3);
        for (var trial = 0; trial < 50; trial++)
        {
            var subset = shares.OrderBy(_ => rng.Next()).Take(4 + trial % 6).ToArray();
            Assert.Equal(secret, Shamir.Combine(subset));
        }
    }

    [Fact]
    public void Fewer_than_t_shares_reveal_nothing_useful()
    {
        // With t−1 shares the interpolated byte is uniformly distributed whatever the secret: over many
        // fresh splits of the same secret it matches only ≈ 1/256 of the time.
        var secret = new byte[] { 0x42 };
        var hits = 0;
        var seen = new HashSet<byte>();
        for (var i = 0; i < 2000; i++)
        {
            var got = Shamir.Combine(Shamir.Split(secret, 3, 5).Take(2).ToArray())[0];
            if (got == 0x42) hits++;
            seen.Add(got);
        }
        Assert.InRange(hits, 0, 30);       // expected ≈ 8
        Assert.True(seen.Count > 200);      // nearly every byte value appears
    }

    [Fact]
    public void Shamir_refuses_bad_input()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Shamir.Split(new byte[4], 5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shamir.Split(new byte[4], 2, 256));
        var s = Shamir.Split(new byte[4], 2, 3);
        Assert.Throws<ArgumentException>(() => Shamir.Combine([s[0], s[0]]));
    }

    [Fact]
    public void Prg_is_deterministic_per_seed_and_balanced()
    {
        var seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var a = new ulong[1001];
        var b = new ulong[1001];
        MaskPrg.Expand(seed, a);
        MaskPrg.Expand(seed, b);
        Assert.Equal(a, b);
        seed[0] ^= 1;
        MaskPrg.Expand(seed, b);
        Assert.NotEqual(a, b);
        var ones = a.Sum(x => (long)ulong.PopCount(x));
        Assert.Equal(0.5, ones / (64.0 * a.Length), 0.01);
        Assert.Throws<ArgumentException>(() => MaskPrg.Expand(new byte[16], a));
    }

    [Fact]
    public void Fixed_point_sums_wrap_and_decode_exactly()
    {
        var codec = new FixedPoint(maxAbs: 10, maxClients: 100);
        var rng = new Random(9);
        var values = Enumerable.Range(0, 100).Select(_ => rng.NextDouble() * 20 - 10).ToArray();
        ulong ring = 0;
        foreach (var v in values) ring += codec.Encode(v);
        Assert.Equal(values.Sum(), codec.Decode(ring), codec.MaxSumError(100) + 1e-12);
        Assert.Equal(-10.0, codec.Decode(codec.Encode(-10)), 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.Encode(10.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.Encode(double.NaN));
    }
}
