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
    public void ModelFile_StreamsPayloadsAboveTheLimit_AndStillDetectsCorruption()
    {
        // Above the in-memory limit (here 0: every payload) the payload is parsed as it streams and checked at its end.
        var path = Path.Combine(Path.GetTempPath(), "merx-test-" + Guid.NewGuid().ToString("N") + ".model");
        var keep = ModelFile.InMemoryPayloadLimit;
        try
        {
            var floats = Enumerable.Range(0, 300_000).Select(i => i * 0.5f).ToArray();   // 1.2 MB: more than one 1 MB buffer
            void Write(BinaryWriter w) { w.Write("big"); w.Write(floats.Length); foreach (var v in floats) w.Write(v); }
            float[] ReadAll(BinaryReader r) { Assert.Equal("big", r.ReadString()); var a = new float[r.ReadInt32()]; for (var i = 0; i < a.Length; i++) a[i] = r.ReadSingle(); return a; }
            ModelFile.Save(path, "toy", Write);
            var inMemory = ModelFile.Load(path, (_, r) => ReadAll(r));
            ModelFile.InMemoryPayloadLimit = 0;
            Assert.Equal(floats, ModelFile.Load(path, (_, r) => ReadAll(r)));
            Assert.Equal(inMemory, floats);
            // The same bytes whichever way they are written: the envelope has one format.
            using (var ms = new MemoryStream()) { ModelFile.Write(ms, "toy", Write); Assert.Equal(File.ReadAllBytes(path), ms.ToArray()); }
            var bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x01;   // a payload byte the parser reads as part of a float
            File.WriteAllBytes(path, bytes);
            Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, (_, r) => ReadAll(r))).Message);
            Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, (n, _) => n)).Message);   // nothing parsed: the rest is still hashed
            File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 100).ToArray());
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, (n, _) => n));                                   // truncated
            // A writer whose second pass writes another length is refused rather than written with a wrong header.
            var calls = 0;
            Assert.Throws<InvalidOperationException>(() => ModelFile.Write(new MemoryStream(), "toy", w => w.Write(new string((char)(40 + calls), ++calls))));
        }
        finally { ModelFile.InMemoryPayloadLimit = keep; File.Delete(path); }
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
