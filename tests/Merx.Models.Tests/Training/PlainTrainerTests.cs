using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Models.Training;

namespace Merx.Models.Tests.Training;

/// <summary>
/// The plain trainer's recipe over a model's surface (issue 17): epochs of shuffled batches, validation every
/// few epochs, early stopping, the best parameters restored, the refit on validation items, the time budget.
/// </summary>
public class PlainTrainerTests
{
    /// <summary>
    /// θ is one number that counts the steps since <see cref="Begin"/> (NaN from <see cref="NaNAfter"/> steps of a run on);
    /// the validation NDCG of check k is <see cref="Ndcg"/>[k].
    /// </summary>
    private sealed class Counter(params double[] ndcg) : IMinibatchModel
    {
        private readonly float[] _theta = new float[1];
        public readonly List<int[]> Batches = [];
        public readonly List<int> BeginEvents = [];      // events of the sequences each run started on
        public readonly List<int> CheckedCases = [];
        public readonly List<float> CheckedTheta = [];
        public int Refreshes;
        public int? NaNAfter;
        private int _steps;

        public double[] Ndcg { get; } = ndcg;

        public int[] Begin(UserSequences train, int seed)
        {
            BeginEvents.Add(train.EventCount);
            _theta[0] = 0; _steps = 0;
            return [.. Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) >= 2)];
        }

        public (double Loss, long Count) Step(ReadOnlySpan<int> examples)
        {
            Batches.Add(examples.ToArray());
            _steps++;
            _theta[0] = NaNAfter is { } n && BeginEvents.Count > 1 && _steps > n ? float.NaN : _theta[0] + 1;
            return (examples.Length, examples.Length);
        }

        public double ValidationNdcg(IReadOnlyList<EvalCase> cases)
        {
            CheckedCases.Add(cases.Count);
            CheckedTheta.Add(_theta[0]);
            return Ndcg[CheckedCases.Count - 1];
        }

        public Span<float> Parameters => _theta;

        public void Refresh() => Refreshes++;
    }

    /// <summary>10 users with 5 items each: leave-one-out leaves 3 training items, 1 validation target, 1 test item.</summary>
    private static TrainingData Data()
    {
        var lists = Enumerable.Range(0, 10).Select(u => (IReadOnlyList<int>)Enumerable.Range(u, 5).Select(i => i % 12).ToList()).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, 12));
        return new TrainingData(split.Train, null, split.Validation);
    }

    private static PlainRecipe Recipe(bool refit = true, int validationUsers = 0) => new(MaxEpochs: 20, BatchSize: 4, EvalEvery: 2, Patience: 2, validationUsers, refit);

    [Fact]
    public void StopsAfterPatienceChecksWithoutImprovement_RestoresTheBest_AndRefitsForTheBestEpochCount()
    {
        // Checks at epochs 2, 4, 6, 8: the best is epoch 4; two checks without improvement stop the selection after epoch 8.
        var model = new Counter(0.1, 0.3, 0.2, 0.25);
        var run = PlainTrainer.Train(model, Data(), Recipe(), new FitOptions { Seed = 3 }, "t");
        Assert.Equal((8 + 4, 4, 0.3), (run.EpochsRun, run.BestEpoch, run.BestValidationNdcg));
        Assert.Equal(12, run.EpochSeconds.Count);
        Assert.Equal([2 * 3f, 4 * 3f, 6 * 3f, 8 * 3f], model.CheckedTheta);   // 3 steps (4 + 4 + 2 users) an epoch
        Assert.All(model.CheckedCases, n => Assert.Equal(10, n));
        // Selection on the 30 training items; the refit from scratch on them plus the 10 validation targets.
        Assert.Equal([30, 40], model.BeginEvents);
        Assert.Equal(12 * 3, model.Batches.Count);
        Assert.Equal(4 * 3f, model.Parameters[0]);                             // the refit's own 4 epochs, not the restored selection
        // Every epoch covers each user once, in batches of at most 4, in a fresh order.
        for (var e = 0; e < 12; e++)
        {
            var epoch = model.Batches.Skip(3 * e).Take(3).ToArray();
            Assert.Equal([4, 4, 2], epoch.Select(b => b.Length));
            Assert.Equal(Enumerable.Range(0, 10), epoch.SelectMany(b => b).Order());
        }
        Assert.NotEqual(model.Batches[0], model.Batches[3]);
    }

    [Fact]
    public void WithoutRefit_KeepsTheBestSelectedParameters()
    {
        var model = new Counter(0.1, 0.3, 0.2, 0.25);
        var run = PlainTrainer.Train(model, Data(), Recipe(refit: false), new FitOptions { Seed = 3 }, "t");
        Assert.Equal((8, 4), (run.EpochsRun, run.BestEpoch));
        Assert.Equal(4 * 3f, model.Parameters[0]);
        Assert.Equal([30], model.BeginEvents);
    }

    [Fact]
    public void WithoutValidationCases_TrainsEveryEpoch_AndKeepsTheLast()
    {
        var data = Data();
        var model = new Counter();
        var run = PlainTrainer.Train(model, new TrainingData(data.Train), Recipe(), new FitOptions { Seed = 3 }, "t");
        Assert.Equal((20, 0, double.NegativeInfinity), (run.EpochsRun, run.BestEpoch, run.BestValidationNdcg));
        Assert.Equal(20 * 3f, model.Parameters[0]);
        Assert.Empty(model.CheckedCases);
        Assert.Equal([30], model.BeginEvents);
    }

    [Fact]
    public void FitMaxEpochs_CapsTheSelection_AndItsLastEpochIsAlwaysChecked()
    {
        var model = new Counter(0.1, 0.2, 0.15);
        var run = PlainTrainer.Train(model, Data(), Recipe(refit: false), new FitOptions { Seed = 3, MaxEpochs = 5 }, "t");
        Assert.Equal((5, 4), (run.EpochsRun, run.BestEpoch));
        Assert.Equal([2 * 3f, 4 * 3f, 5 * 3f], model.CheckedTheta);
    }

    [Fact]
    public void ValidationUsers_ScoresAFixedSamplePerSeed()
    {
        var a = new Counter(0.1, 0.3, 0.2, 0.25);
        PlainTrainer.Train(a, Data(), Recipe(refit: false, validationUsers: 3), new FitOptions { Seed = 3 }, "t");
        Assert.All(a.CheckedCases, n => Assert.Equal(3, n));
    }

    [Fact]
    public void ARefitThatDiverges_FallsBackToTheSelectedParameters()
    {
        var model = new Counter(0.1, 0.3, 0.2, 0.25) { NaNAfter = 5 };
        var run = PlainTrainer.Train(model, Data(), Recipe(), new FitOptions { Seed = 3 }, "t");
        Assert.Equal((12, 4), (run.EpochsRun, run.BestEpoch));
        Assert.Equal(4 * 3f, model.Parameters[0]);   // the selection's best epoch
        Assert.Equal(3, model.Refreshes);             // one at the end of each run, one after the fallback
    }

    [Fact]
    public void TimeBudget_EndsTheEpochAfterItsFirstBatch_ChecksIt_AndLeavesNoTimeToRefit()
    {
        var model = new Counter(0.5);
        var lines = new List<string>();
        var run = PlainTrainer.Train(model, Data(), Recipe(), new FitOptions { Seed = 3, TimeBudget = TimeSpan.FromTicks(1), Progress = new Sync(lines) }, "t");
        Assert.Equal((1, 1, 0.5), (run.EpochsRun, run.BestEpoch, run.BestValidationNdcg));
        Assert.Single(model.Batches);
        Assert.Equal(1f, model.Parameters[0]);
        Assert.Equal([30], model.BeginEvents);
        Assert.Contains("t: time budget reached in epoch 1 after 4 of 10 sequences", lines);
        Assert.Contains(lines, l => l.StartsWith("t: no time left to refit on validation items", StringComparison.Ordinal));
    }

    private sealed class Sync(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
