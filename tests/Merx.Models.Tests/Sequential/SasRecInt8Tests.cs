using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;

namespace Merx.Models.Tests.Sequential;

/// <summary>Issue #21: the Transformer's int8 inference copy.</summary>
public class SasRecInt8Tests
{
    private const int Items = 30;

    private static (SasRec Model, TrainingData Data) Fitted()
    {
        var lists = Enumerable.Range(0, 60).Select(u => (IReadOnlyList<int>)Enumerable.Range(0, 10).Select(k => (u + k) % Items).ToList()).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = "b" + i % 3 }).ToArray();
        var data = new TrainingData(split.Train, catalog, split.Validation);
        var model = new SasRec(new SasRecOptions { Dim = 32, Blocks = 2, Heads = 2, MaxLength = 8, FfnMultiplier = 4, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 30, EvalEvery = 5, Patience = 100 });
        model.Fit(data, new FitOptions { Seed = 1 });
        return (model, data);
    }

    [Fact]
    public void Int8Copy_ScoresCloseToTheFloatModel_AndKeepsItsAnswers()
    {
        var (model, _) = Fitted();
        var q = model.ToInt8();
        Assert.True(q.Int8);
        Assert.False(model.Int8);
        Assert.Same(q, q.ToInt8());
        // Item vectors: each entry within half a step (row max / 254) of the float one.
        var d = model.Dimension;
        var f = model.ItemVectors.ToArray();
        var i8 = q.ItemVectors.ToArray();
        // Its only item table is int8: d + 4 bytes an item, and no float copy beside it.
        Assert.True(q.ItemVectors.IsInt8);
        Assert.Equal((long)Items * (d + 4), q.ItemVectors.Bytes);
        Assert.Equal(model.FloatsHeld - (long)Items * d, q.FloatsHeld);
        for (var i = 0; i < Items; i++)
        {
            var half = f.AsSpan(i * d, d).ToArray().Max(MathF.Abs) / 254f;
            for (var k = 0; k < d; k++) Assert.True(MathF.Abs(f[i * d + k] - i8[i * d + k]) <= half * 1.0001f, $"item {i}, entry {k}");
        }
        // User vectors: the int8 layers change them (the int8 path runs) by a few per cent at most.
        var history = new[] { 3, 4, 5, 6 };
        var uf = new float[d]; var uq = new float[d];
        model.EncodeUser(-1, history, uf);
        q.EncodeUser(-1, history, uq);
        var diff = Math.Sqrt(uf.Zip(uq).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)));
        var norm = Math.Sqrt(uf.Sum(v => (double)v * v));
        Assert.InRange(diff / norm, 1e-6, 0.05);
        // The batch path (evaluation) runs the same int8 layers as the single call.
        var single = new float[Items]; var batch = new float[Items];
        q.Score(-1, history, single);
        q.ScoreBatch([-1], [history], batch);
        for (var i = 0; i < Items; i++) Assert.Equal(single[i], batch[i], 4);
        // The answers are kept: the same first item for every start of the walk.
        for (var s = 0; s < Items; s++)
        {
            int[] h = [s, (s + 1) % Items, (s + 2) % Items];
            Assert.Equal(model.Recommend(-1, h, 1, RecommendFilter.None)[0].Item, q.Recommend(-1, h, 1, RecommendFilter.None)[0].Item);
        }
    }

    [Fact]
    public void Int8Copy_WeighsWhatItsTensorsHold_AndCannotBeFittedOrSaved()
    {
        var (model, data) = Fitted();
        const int d = 32, f = 128, t = 8, blocks = 2;
        // Float: item vectors, positions, per block LN (4d), Wqkv + bqkv, Wo + bo, W1 + b1, W2 + b2; final LN (2d).
        long denseFloats = d * 3 * d + d * d + d * f + f * d;
        long small = 4 * d + 3 * d + d + f + d;
        Assert.Equal(4L * (Items * d + t * d + blocks * (denseFloats + small) + 2 * d), model.WeightBytes(int8: false));
        // Int8: one byte an entry plus a float scale per row (items: Items rows; dense: one per output).
        long denseInt8 = denseFloats + 4 * (3 * d + d + f + d);
        Assert.Equal(Items * d + 4L * Items + blocks * denseInt8 + 4L * (t * d + blocks * small + 2 * d), model.WeightBytes(int8: true));
        var q = model.ToInt8();
        Assert.Equal(model.WeightBytes(int8: true), q.WeightBytes(int8: true));
        Assert.Throws<InvalidOperationException>(() => q.Fit(data, new FitOptions { Seed = 1 }));
        using var w = new BinaryWriter(new MemoryStream());
        Assert.Throws<InvalidOperationException>(() => q.Write(w));
    }

    [Fact]
    public void ServingRead_KeepsOneItemTable_AndAnswersAsTheFullRead()
    {
        var (model, _) = Fitted();
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) model.Write(w);
        var bytes = stream.ToArray();
        SasRec Read(bool servingOnly, out long allocated)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var read = SasRec.Read(new BinaryReader(new MemoryStream(bytes)), servingOnly);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return read;
        }
        var full = Read(false, out var fullBytes);
        var serving = Read(true, out var servingBytes);
        Assert.True(serving.ServingOnly);
        Assert.False(full.ServingOnly);
        // Which features an item has is read by fitting only: a serving read lets them go (every item has a brand here).
        Assert.Equal(Items, full.FeatureIdsHeld);
        Assert.Equal(0, serving.FeatureIdsHeld);
        // One (Items, d) float table fewer.
        Assert.True(servingBytes <= fullBytes - 4L * Items * model.Dimension, $"serving read allocated {servingBytes} B, the full read {fullBytes} B");
        Assert.Equal(full.ItemVectors.ToArray(), serving.ItemVectors.ToArray());
        Assert.Equal(model.ItemVectors.ToArray(), serving.ItemVectors.ToArray());
        int[] history = [3, 4, 5, 6];
        var a = new float[Items]; var b = new float[Items];
        full.Score(-1, history, a);
        serving.Score(-1, history, b);
        Assert.Equal(a, b);
        Assert.Equal(full.ToInt8().ItemVectors.ToArray(), serving.ToInt8().ItemVectors.ToArray());
        Assert.True(serving.ToInt8().ServingOnly);
        // The int8 copy of a serving read keeps no float item table at all (its parameters start after it), and answers
        // as the int8 copy of the full read: the same scores, bit for bit, and the same similar items.
        var lean = serving.ToInt8();
        Assert.Equal(full.FloatsHeld - 2L * Items * model.Dimension, lean.FloatsHeld);
        var c = new float[Items]; var e = new float[Items];
        full.ToInt8().Score(-1, history, c);
        lean.Score(-1, history, e);
        Assert.Equal(c, e);
        Assert.Equal(full.ToInt8().SimilarItems(3, 5), lean.SimilarItems(3, 5));
        // The embeddings are gone: it cannot be saved or fitted again.
        Assert.Throws<InvalidOperationException>(() => serving.Write(new BinaryWriter(new MemoryStream())));
        Assert.Equal(serving.ItemVectors.ToArray(), ModelRegistry.ReadForServing(SasRec.ModelName, new BinaryReader(new MemoryStream(bytes))) is SasRec s ? s.ItemVectors.ToArray() : []);
        Assert.True(((SasRec)ModelRegistry.ReadForServing(SasRec.IpwName, new BinaryReader(new MemoryStream(bytes)))).ServingOnly);
    }
}
