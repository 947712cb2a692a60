using Merx.Core.Contracts;

namespace Merx.Core.Tests;

public class ContractsTests
{
    [Fact]
    public void TopK_MatchesFullSort_AndSkipsMasked()
    {
        var rng = new Random(1);
        for (var n = 0; n <= 64; n++)
        {
            var scores = Enumerable.Range(0, n).Select(_ => (float)Math.Round(rng.NextDouble(), 1)).ToArray();
            if (n > 3) { scores[1] = float.NegativeInfinity; scores[2] = float.NaN; }
            foreach (var k in new[] { 0, 1, 5, n })
            {
                var expected = scores.Select((s, i) => (s, i)).Where(p => p.s > float.NegativeInfinity)
                    .OrderByDescending(p => p.s).ThenBy(p => p.i).Take(k).Select(p => p.i).ToArray();
                Assert.Equal(expected, TopK.Select(scores, k).Select(x => x.Item).ToArray());
            }
        }
    }

    [Fact]
    public void ModelFile_RoundTrips_AndDetectsCorruption()
    {
        var path = Path.Combine(Path.GetTempPath(), "merx-test-" + Guid.NewGuid().ToString("N") + ".model");
        try
        {
            ModelFile.Save(path, "toy", w => { w.Write(42); w.Write("hello"); });
            var (name, x, s) = ModelFile.Load(path, (n, r) => (n, r.ReadInt32(), r.ReadString()));
            Assert.Equal(("toy", 42, "hello"), (name, x, s));
            var bytes = File.ReadAllBytes(path);
            bytes[^40] ^= 0xFF; // flip a payload byte
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, (n, r) => n));
            Assert.Contains("checksum", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ValidationNdcg_IsOneForPerfectRanking_AndIgnoresInputItems()
    {
        var c = new Merx.Core.Splits.EvalCase(0, [0], [3]);
        var ndcg = ValidationMetric.Ndcg([c], 5, (_, s) => { s[0] = 100; s[1] = 1; s[2] = 2; s[3] = 3; s[4] = 0; });
        Assert.Equal(1.0, ndcg, 10);
        var second = ValidationMetric.Ndcg([c], 5, (_, s) => { s[0] = 100; s[1] = 9; s[2] = 2; s[3] = 3; s[4] = 0; });
        Assert.Equal(1 / Math.Log2(3), second, 10);
    }
}
