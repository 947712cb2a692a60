using System.Diagnostics;
using System.Numerics.Tensors;
using Merx.Core.Contracts;
using Merx.Core.Splits;
using Merx.Models.Federated;
using Merx.Numerics;
using Merx.Privacy.Accounting;
using Merx.Privacy.Federated;
using Merx.Privacy.Mechanisms;

namespace Merx.Models.Training;

/// <summary>One round's bookkeeping (what the server may know: counts and timings, never an update).</summary>
public sealed record FederatedRound(int Round, int Participants, int Dropped, int Contributors, double Examples, double LocalSeconds, double AggregationSeconds, double? ValidationNdcg);

/// <summary>Outcome of a federated training run; the model holds the best global parameters.</summary>
/// <param name="Rounds">Rounds of the selection phase (on training data, validation for early stopping).</param>
/// <param name="RefitRounds">Rounds of the refit phase from scratch on training + validation items (0 = none).</param>
public sealed record FederatedTrainingResult(int Rounds, int BestRound, double BestValidationNdcg, int ParticipantsPerRound, int DroppedTotal,
    double WallSeconds, double? Epsilon, double? Delta, IReadOnlyList<FederatedRound> History, int RefitRounds = 0);

/// <summary>
/// Simulated cross-device federated training: users are sharded into clients
/// (<see cref="ClientShard.Partition"/>); each round a seeded fraction of the clients starts from
/// the global model, trains locally on its own shard (<see cref="FederatedClientTrainer.LocalUpdate"/>),
/// and sends its update through a full secure-aggregation round
/// (<see cref="FederatedAveraging.Secure"/>: ECDH + AES-CTR pairwise masks in fixed point, Shamir
/// recovery of the clients that drop out), so the server only learns the example-weighted sum. The
/// server applies the average with FedAvg or FedAdam, checks validation NDCG@10 every few rounds and
/// keeps the best global model. Optional client-level DP: clip each update, Gaussian noise on the sum,
/// (ε, δ) from the RDP accountant.
/// </summary>
public static class FederatedTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> federatedly. With <see cref="FederatedOptions.RefitWithValidation"/>
    /// it follows the plain trainer's protocol (<see cref="ValidationRefit"/>): select the round count on
    /// validation (within 60 % of the time budget), then train again from scratch on training + validation
    /// items for that many rounds (test items are never used).
    /// </summary>
    public static FederatedTrainingResult Train(IFederatedModel model, TrainingData data, FederatedOptions options, IProgress<string>? progress = null, string label = "federated")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var refit = options.RefitWithValidation && data.Validation.Count > 0;
        var select = RunRounds(model, data, options with { TimeBudget = ValidationRefit.SelectionBudget(options.TimeBudget, refit) }, progress, label, clock);
        if (!refit || select.BestRound == 0) return select with { WallSeconds = clock.Elapsed.TotalSeconds };
        var perRound = clock.Elapsed.TotalSeconds / Math.Max(1, select.Rounds);
        if (!ValidationRefit.HasTimeFor(options.TimeBudget, clock.Elapsed, select.BestRound, perRound, out var left))
        {
            progress?.Report($"{label}: no time left to refit on validation items ({left:F0} s); keeping the selected model");
            return select with { WallSeconds = clock.Elapsed.TotalSeconds };
        }
        var full = new TrainingData(ValidationRefit.WithTargets(data.Train, data.Validation), data.Catalog, [], data.Weights, data.Features);
        var again = RunRounds(model, full, options with { Rounds = select.BestRound, TimeBudget = null }, progress, label + " refit", clock);
        var epsilon = options.DpNoise > 0 ? RdpAccountant.Epsilon((double)options.Participants / options.Clients, options.DpNoise, select.Rounds + again.Rounds, 1.0 / options.Clients) : (double?)null;
        return select with
        {
            RefitRounds = again.Rounds, DroppedTotal = select.DroppedTotal + again.DroppedTotal, WallSeconds = clock.Elapsed.TotalSeconds,
            History = [.. select.History, .. again.History], Epsilon = epsilon,
        };
    }

    private static FederatedTrainingResult RunRounds(IFederatedModel model, TrainingData data, FederatedOptions options, IProgress<string>? progress, string label, Stopwatch clock)
    {
        var start = clock.Elapsed;
        var shards = ClientShard.Partition(data.Train, options.Clients, options.Seed);
        var global = model.InitializeFederated(data, options.Seed);
        var server = options.Server == ServerOptimizer.FedAdam ? new AdamW(global.Length, options.ServerLearningRate, 0.9f, 0.99f, 1e-8f) : null;
        var pseudoGrad = server is null ? [] : new float[global.Length];
        var validation = Classic.ClassicHelpers.Sample(data.Validation, options.ValidationUsers, options.Seed);
        var best = (float[])global.Clone();
        var bestNdcg = double.NegativeInfinity;
        int bestRound = 0, sinceBest = 0, dropped = 0, round = 0;
        var history = new List<FederatedRound>();
        progress?.Report($"{label}: {shards.Length} clients ({data.Train.UserCount:N0} users), {options.Participants} per round, {options.DroppedPerRound} dropping, threshold t = {options.Threshold}, {global.Length:N0} shared parameters, server {options.Server} η = {options.ServerLearningRate}"
            + (options.UserRefitEpochs > 0 ? $", users refitted locally ({options.UserRefitEpochs} passes) at the start of a client's round and at the end" : "")
            + (options.SecureAggregation ? "" : "; PLAIN aggregation in the clear (tuning only)"));
        while (round < options.Rounds)
        {
            round++;
            var agg = Round(model, global, shards, round, options, options.SecureAggregation);
            dropped += agg.Dropped;
            if (server is null) TensorPrimitives.MultiplyAdd(agg.Result.Average, options.ServerLearningRate, global, global);
            else
            {
                TensorPrimitives.Negate(agg.Result.Average, pseudoGrad);
                server.Step(global, pseudoGrad);
            }
            double? ndcg = null;
            var overBudget = options.TimeBudget is { } budget && clock.Elapsed - start > budget;
            if (validation.Count > 0 && (round % options.EvalEvery == 0 || round == options.Rounds || overBudget))
            {
                model.SetGlobal(global);
                ndcg = ValidationNdcg(model, validation);
                if (ndcg > bestNdcg) { bestNdcg = ndcg.Value; bestRound = round; global.CopyTo(best, 0); sinceBest = 0; }
                else sinceBest++;
            }
            history.Add(new FederatedRound(round, options.Participants, agg.Dropped, agg.Result.Contributors.Count, agg.Result.TotalExamples, agg.LocalSeconds, agg.AggregationSeconds, ndcg));
            progress?.Report($"{label}: round {round}: {agg.Result.Contributors.Count} of {options.Participants} clients aggregated ({agg.Dropped} dropped), {agg.Result.TotalExamples:N0} examples, local {agg.LocalSeconds:F1} s, {(options.SecureAggregation ? "secure" : "plain (tuning)")} aggregation {agg.AggregationSeconds:F1} s"
                + (ndcg is { } v ? $", val NDCG@10 {v:F4} (best {bestNdcg:F4} at round {bestRound})" : "") + $", elapsed {clock.Elapsed.TotalSeconds:F0} s");
            if (sinceBest >= options.Patience) { progress?.Report($"{label}: early stop after {options.Patience} checks without improvement"); break; }
            if (overBudget) { progress?.Report($"{label}: time budget reached after round {round}"); break; }
        }
        if (validation.Count > 0) best.CopyTo(global, 0);
        model.SetGlobal(global);
        if (options.UserRefitEpochs > 0)
        {
            var local = LocalOptions(options);
            foreach (var s in shards) model.RefitLocal(s, local, unchecked(options.Seed * 7919 + s.Id * 31 + 2));
            progress?.Report($"{label}: every client refitted its users locally against the final model ({options.UserRefitEpochs} passes, nothing sent), elapsed {clock.Elapsed.TotalSeconds:F0} s");
        }
        double? epsilon = null, delta = null;
        if (options.DpNoise > 0)
        {
            delta = 1.0 / options.Clients;
            epsilon = RdpAccountant.Epsilon((double)options.Participants / options.Clients, options.DpNoise, round, delta.Value);
        }
        return new FederatedTrainingResult(round, bestRound, validation.Count > 0 ? bestNdcg : double.NaN, options.Participants, dropped, clock.Elapsed.TotalSeconds, epsilon, delta, history);
    }

    /// <summary>One round's aggregate and its costs.</summary>
    public sealed record RoundAggregate(FedAvgResult Result, IReadOnlyList<ClientUpdate> Updates, int Dropped, double LocalSeconds, double AggregationSeconds);

    /// <summary>
    /// Runs round <paramref name="round"/> (1-based) from <paramref name="global"/>: draws the
    /// participants and the dropouts (seeded by round), computes the survivors' local updates, and
    /// aggregates them securely (or in the clear when <paramref name="secure"/> is false, for tests).
    /// Dropped clients complete key sharing and then never send their masked input. With DP noise on,
    /// the noise is drawn from <paramref name="noise"/> (tests: a seeded source), else from the OS CSPRNG.
    /// </summary>
    public static RoundAggregate Round(IFederatedModel model, float[] global, IReadOnlyList<ClientShard> shards, int round, FederatedOptions options, bool secure = true, NoiseSource? noise = null)
    {
        var rng = new Random(unchecked(options.Seed * 1_000_003 + round));
        var order = Enumerable.Range(0, shards.Count).ToArray();
        rng.Shuffle(order);
        var participants = order.Take(options.Participants).Order().ToArray();
        var dropped = participants.OrderBy(_ => rng.Next()).Take(options.DroppedPerRound).ToHashSet();
        var dp = options.DpNoise > 0;
        var updates = new List<ClientUpdate>(participants.Length);
        var local = Stopwatch.StartNew();
        foreach (var c in participants)
        {
            var delta = new float[global.Length];
            long examples = 1;
            if (!dropped.Contains(c))
            {
                var clientSeed = unchecked(options.Seed * 7919 + round * 104_729 + c * 31 + 1);
                examples = FederatedClientTrainer.LocalUpdate(model, global, shards[c], LocalOptions(options), clientSeed, delta);
                if (dp) { GradientClipping.ClipGlobalNorm(delta, (float)options.DpClip); examples = 1; }
            }
            updates.Add(new ClientUpdate(shards[c].Id, delta, examples));
        }
        var localSeconds = local.Elapsed.TotalSeconds;
        var aggClock = Stopwatch.StartNew();
        FedAvgResult result;
        if (secure)
        {
            var maxExamples = dp ? 1 : Math.Max(1, shards.Max(s => (long)s.Interactions));
            var sigma = dp ? options.DpNoise * options.DpClip : 0;
            result = FederatedAveraging.Secure(updates, options.Threshold, options.MaxAbsUpdate, maxExamples,
                new Dropouts(dropped, new HashSet<int>()), sigma, dp ? noise ?? new CryptoNoiseSource() : null);
        }
        else result = FederatedAveraging.Plain(updates.Where(u => !dropped.Contains(u.ClientId)).ToArray());
        return new RoundAggregate(result, updates, dropped.Count, localSeconds, aggClock.Elapsed.TotalSeconds);
    }

    private static FederatedLocalOptions LocalOptions(FederatedOptions o) => new(o.LocalEpochs, o.LocalLearningRate, o.LocalBatchSize, o.LocalSgd, o.UserRefitEpochs);

    /// <summary>Mean NDCG@10 of the current model on validation cases, scored in batches.</summary>
    internal static double ValidationNdcg(IRecommender model, IReadOnlyList<EvalCase> cases)
    {
        const int chunk = 256;
        var n = model.ItemCount;
        var scores = new float[chunk * n];
        var row = new float[n];
        var total = 0.0;
        for (var c0 = 0; c0 < cases.Count; c0 += chunk)
        {
            var count = Math.Min(chunk, cases.Count - c0);
            var users = new int[count];
            var histories = new int[count][];
            for (var k = 0; k < count; k++) { users[k] = cases[c0 + k].User; histories[k] = cases[c0 + k].Input; }
            model.ScoreBatch(users, histories, scores.AsSpan(0, count * n));
            for (var k = 0; k < count; k++)
            {
                scores.AsSpan(k * n, n).CopyTo(row);
                total += ValidationMetric.CaseNdcg(cases[c0 + k], row, 10);
            }
        }
        return cases.Count == 0 ? 0 : total / cases.Count;
    }
}
