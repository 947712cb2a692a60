using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Merx.Models.Tests.Sequential;

/// <summary>Issue 21: the Transformer exported as ONNX and run in ONNX Runtime gives Merx's own user vectors and scores.</summary>
public class SasRecOnnxTests
{
    private const int Items = 40;

    // Histories with structure (each user walks a stride through the catalog, with detours), so the trained
    // attention is far from uniform and every block's weights matter.
    private static TrainingData Data()
    {
        var rng = new Random(11);
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < 150; u++)
        {
            var stride = 1 + u % 3;
            var length = 6 + rng.Next(14);
            lists.Add(Enumerable.Range(0, length).Select(k => rng.Next(8) == 0 ? rng.Next(Items) : (u * 5 + k * stride) % Items).ToList());
        }
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i, Brand = "b" + i % 4, CategoryPath = ["c" + i % 3] }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    public void OnnxRuntime_MatchesMerxForward_WithinOneInTenThousand(int blocks, int heads)
    {
        var model = new SasRec(new SasRecOptions { Dim = 16, Blocks = blocks, Heads = heads, MaxLength = 10, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = 8, EvalEvery = 4, Patience = 100 });
        var data = Data();
        model.Fit(data, new FitOptions { Seed = 5 });
        using var session = new InferenceSession(model.ToOnnx());

        var maxDelta = 0f;
        for (var u = 0; u < 40; u++)
        {
            // The model's own truncation: the latest MaxLength items (histories here run up to 19).
            var history = data.Train.ItemsOf(u).ToArray();
            var kept = history.Skip(Math.Max(0, history.Length - 10)).Select(i => (long)i).ToArray();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("items", new DenseTensor<long>(kept, [kept.Length]))]);
            var user = results.First(r => r.Name == "user").AsEnumerable<float>().ToArray();
            var scores = results.First(r => r.Name == "scores").AsEnumerable<float>().ToArray();

            var expectedUser = new float[model.Dimension];
            model.EncodeUser(-1, history, expectedUser);
            var expectedScores = new float[Items];
            model.Score(-1, history, expectedScores);
            Assert.Equal(Items, scores.Length);
            for (var t = 0; t < expectedUser.Length; t++) maxDelta = Math.Max(maxDelta, Math.Abs(expectedUser[t] - user[t]));
            for (var i = 0; i < Items; i++) maxDelta = Math.Max(maxDelta, Math.Abs(expectedScores[i] - scores[i]));
            Assert.Equal(Array.IndexOf(expectedScores, expectedScores.Max()), Array.IndexOf(scores, scores.Max()));
        }
        Assert.True(maxDelta <= 1e-4f, $"max |Δ| {maxDelta}");
    }
}
