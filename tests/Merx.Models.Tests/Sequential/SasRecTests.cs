using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;
using Merx.Numerics;

namespace Merx.Models.Tests.Sequential;

[Collection(GemmParallelismCollection.Name)]
public class SasRecTests
{
    private const int Items = 30;

    /// <summary>Every user walks the cycle i → i+1 (mod 30) from a different start: the next item is always known.</summary>
    private static TrainingData CycleData(int users = 120, int length = 12)
    {
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < users; u++) lists.Add(Enumerable.Range(0, length).Select(k => (u * 7 + k) % Items).ToList());
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = "b" + i % 3 }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    private static SasRec Small(int epochs = 40) => new(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = epochs, EvalEvery = 5, Patience = 100 });

    [Fact]
    public void LearnsTheNextItemOfATinySequenceTask()
    {
        var model = Small();
        model.Fit(CycleData(), new FitOptions { Seed = 1 });
        Assert.True(model.BestValidationNdcg > 0.9, $"validation NDCG@10 {model.BestValidationNdcg}");
        var top = model.Recommend(-1, [3, 4, 5], 1, RecommendFilter.None);
        Assert.Equal(6, top[0].Item);
    }

    [Fact]
    public void SampledSoftmax_AlsoLearnsTheTask()
    {
        var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 40, EvalEvery = 5, Patience = 100, SampledNegatives = 8 });
        model.Fit(CycleData(), new FitOptions { Seed = 7 });
        Assert.True(model.BestValidationNdcg > 0.8, $"validation NDCG@10 {model.BestValidationNdcg}");
        // It never forms full logits, so its step holds neither their chunk nor the (D, Items) transpose
        // (2.8 GB at 10M items), and a step still allocates nothing.
        var buffers = new SasRec.StepBuffers(model, 7);
        Assert.Empty(buffers.Logits);
        Assert.Empty(buffers.RepsT);
        var full = Small(1);
        full.Fit(CycleData(), new FitOptions { Seed = 7 });
        Assert.NotEmpty(new SasRec.StepBuffers(full, 7).RepsT);
        var keep = Gemm.MaxDegreeOfParallelism;
        try { Gemm.MaxDegreeOfParallelism = 1; Assert.Equal(0, model.MeasureStepAllocations(CycleData())); }
        finally { Gemm.MaxDegreeOfParallelism = keep; }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.5f)]
    public void LazyStep_FirstStepIsTheDenseStep_ThenUntouchedRowsStayPut(float ipw)
    {
        // Side information on (brands), so the rows' gradients also reach the feature embeddings; with and without target weights.
        var data = CycleData();
        var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 1, SampledNegatives = 6, PopularityIpw = ipw });
        model.Fit(data, new FitOptions { Seed = 4 });
        AssertLazyStepIsDenseThenLazy(model, data);
        var full = Small(1);
        full.Fit(data, new FitOptions { Seed = 1 });
        Assert.Throws<ArgumentException>(() => new SasRec.StepBuffers(full, 1, lazyItemRows: true));   // full softmax: no lazy step
    }

    /// <summary>
    /// Three steps from the fitted parameters, dense and lazy (<see cref="SasRecOptions.LazyItemRows"/>) from the same state: the
    /// first has the same loss and gradient; in the second, item rows the step did not touch keep their value in
    /// the lazy run, where the dense run moves them by momentum. The parameters are left as the last lazy step left them.
    /// </summary>
    internal static void AssertLazyStepIsDenseThenLazy(SasRec model, TrainingData data)
    {
        var l = model.LayoutForTests;
        var start = (float[])model.Parameters.Clone();
        var dense = new SasRec.StepBuffers(model, 9, lazyItemRows: false);
        var lazy = new SasRec.StepBuffers(model, 9, lazyItemRows: true);
        Assert.Equal(l.Total - l.ItemEnd, lazy.Grads.Length);   // no item-sized gradient
        int[][] batches = [[0, 1, 2, 3], [10, 11], [20, 21, 22]];
        var after = new Dictionary<bool, List<float[]>> { [false] = [], [true] = [] };
        var firstLoss = new Dictionary<bool, double>();
        var firstGrads = new Dictionary<bool, float[]>();
        foreach (var buffers in new[] { dense, lazy })
        {
            start.CopyTo(model.Parameters, 0);
            foreach (var batch in batches)
            {
                var loss = model.StepForTests(buffers, data.Train, batch);
                if (firstLoss.TryAdd(buffers.Lazy, loss))
                {
                    // The step's clipped gradient over the whole layout: the lazy one's dense part, and its rows at their items.
                    var g = new float[l.Total];
                    buffers.Grads.CopyTo(g, buffers.GradFrom);
                    if (buffers.Lazy)
                        for (var k = 0; k < buffers.Rows; k++) buffers.DReps.AsSpan(k * l.D, l.D).CopyTo(g.AsSpan(l.ItemEmb + buffers.RowItems[k] * l.D));
                    firstGrads[buffers.Lazy] = g;
                }
                after[buffers.Lazy].Add((float[])model.Parameters.Clone());
            }
        }
        // Step 1: the same loss and gradient, to rounding (the rows' sums run in another order). The parameters are not
        // compared: where the gradient is 0 in exact arithmetic (the attention's key bias), Adam's first step turns rounding
        // noise into a full step of either sign.
        var (gd, gl) = (firstGrads[false], firstGrads[true]);
        var scale = gd.Max(MathF.Abs);
        for (var i = 0; i < l.Total; i++) Assert.True(MathF.Abs(gd[i] - gl[i]) <= 1e-5f * scale, $"gradient {i}: dense {gd[i]}, lazy {gl[i]}");
        Assert.Equal(firstLoss[false], firstLoss[true], 4);
        // Step 2: an item row the step did not touch keeps its value in the lazy run; the dense run moves it by momentum.
        var d = l.D; int stayed = 0, moved = 0;
        for (var item = 0; item < l.Items; item++)
        {
            bool Same(bool lazyRun) => after[lazyRun][1].AsSpan(l.ItemEmb + item * d, d).SequenceEqual(after[lazyRun][0].AsSpan(l.ItemEmb + item * d, d));
            if (Same(true)) { stayed++; if (!Same(false)) moved++; }
        }
        Assert.True(stayed > 0 && moved > 0, $"{stayed} rows untouched by step 2, {moved} of them moved by the dense step");
        Assert.All(after[true][2], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SaveLoad_GivesIdenticalScores_AndHistoryChangesScores()
    {
        var model = Small(5);
        model.Fit(CycleData(), new FitOptions { Seed = 2 });
        var path = Path.Combine(Path.GetTempPath(), $"merx-sasrec-{Guid.NewGuid():N}.model");
        try
        {
            ModelFile.Save(path, model);
            var loaded = (SasRec)ModelRegistry.Load(path);
            var a = new float[Items]; var b = new float[Items]; var c = new float[Items];
            model.Score(-1, [1, 2, 3], a);
            loaded.Score(-1, [1, 2, 3], b);
            loaded.Score(-1, [1, 2, 3, 9], c);
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
        }
        finally { File.Delete(path); }
    }

    // Single calls encode through the last-token pass (SasRecNetwork.ForwardLast), batches through the full forward.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    public void BatchScoring_EqualsSingleCalls(int blocks, int heads)
    {
        var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = blocks, Heads = heads, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 3, EvalEvery = 5, Patience = 100 });
        model.Fit(CycleData(), new FitOptions { Seed = 3 });
        // Empty histories before and between others: their rows score nothing (all zero) and the others' rows land in place.
        int[][] histories = [[], [1, 2], [5], [], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]];
        var batch = new float[histories.Length * Items];
        Array.Fill(batch, 123f); // a reused buffer: what it held before must not survive
        model.ScoreBatch(new int[histories.Length], histories, batch);
        for (var r = 0; r < histories.Length; r++)
        {
            var single = new float[Items];
            model.Score(-1, histories[r], single);
            for (var i = 0; i < Items; i++) Assert.Equal(single[i], batch[r * Items + i], 4);
        }
    }

    [Fact]
    public void SameSeed_SameModel()
    {
        var a = Small(3); var b = Small(3);
        a.Fit(CycleData(), new FitOptions { Seed = 4 });
        b.Fit(CycleData(), new FitOptions { Seed = 4 });
        var sa = new float[Items]; var sb = new float[Items];
        a.Score(-1, [1, 2], sa); b.Score(-1, [1, 2], sb);
        Assert.Equal(sa, sb);
    }

    [Fact]
    public void ColdItem_GetsItsRepresentationFromSideInformation()
    {
        // Item 29 never occurs in training, but shares brand "b2" with items that do.
        var lists = Enumerable.Range(0, 60).Select(u => (IReadOnlyList<int>)Enumerable.Range(0, 10).Select(k => (u + k) % 29).ToList()).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = "b" + i % 3 }).ToArray();
        var with = Small(10);
        with.Fit(new TrainingData(split.Train, catalog, split.Validation), new FitOptions { Seed = 5 });
        var similar = with.SimilarItems(29, 5);
        Assert.NotEmpty(similar);
        Assert.All(similar, s => Assert.True(float.IsFinite(s.Score)));
        var sameBrand = similar.Count(s => s.Item % 3 == 2);
        Assert.True(sameBrand >= 3, $"{sameBrand} of the 5 items most similar to the cold item share its brand");
    }

    [Fact]
    public void IdDropout_StillLearnsTheTask_AllocatesNothing_AndIsNamed()
    {
        var keep = Gemm.MaxDegreeOfParallelism;
        Gemm.MaxDegreeOfParallelism = 1;
        try
        {
            var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 40, EvalEvery = 5, Patience = 100, IdDropout = 0.2f });
            Assert.Equal(SasRec.IdDropoutName, model.Name);
            model.Fit(CycleData(), new FitOptions { Seed = 3 });
            Assert.True(model.BestValidationNdcg > 0.5, $"validation NDCG@10 {model.BestValidationNdcg}");
            Assert.Equal(0, model.MeasureStepAllocations(CycleData()));
        }
        finally { Gemm.MaxDegreeOfParallelism = keep; }
        Assert.Throws<ArgumentException>(() => new SasRec(new SasRecOptions { IdDropout = 1f }));
    }

    [Fact]
    public void TrainingStep_AllocatesNothingAfterWarmUp()
    {
        var keep = Gemm.MaxDegreeOfParallelism;
        Gemm.MaxDegreeOfParallelism = 1;
        try
        {
            var model = Small(1);
            model.Fit(CycleData(), new FitOptions { Seed = 6 });
            var allocated = model.MeasureStepAllocations(CycleData());
            Assert.Equal(0, allocated);
        }
        finally { Gemm.MaxDegreeOfParallelism = keep; }
    }
}
