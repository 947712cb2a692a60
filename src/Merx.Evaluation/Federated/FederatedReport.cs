using System.Text;
using System.Text.Json;
using Merx.Evaluation.Metrics;
using Merx.Models.Training;

namespace Merx.Evaluation.Federated;

/// <summary>One model's federated and centralized test figures on the same split (either may be missing).</summary>
public sealed record FederatedComparison(string Model, FederatedOptions Recipe, EvaluationResult? Federated, FederatedTrainingResult? Training, EvaluationResult? Centralized, double? CentralizedSeconds, string? Error = null)
{
    /// <summary>Federated test NDCG@10 / centralized test NDCG@10.</summary>
    public double? Ratio => Federated is null || Centralized is null || Centralized.Metrics.GetValueOrDefault("ndcg@10") <= 0 ? null
        : Federated.Metrics.GetValueOrDefault("ndcg@10") / Centralized.Metrics["ndcg@10"];
}

/// <summary>
/// The figures of `merx federated`: per model the federated and the centralized test NDCG@10 and
/// HR@10 under the same split and evaluation protocol as `merx evaluate`, their ratio, and the
/// federated run's rounds, clients, dropouts, wall time and (with DP) ε and δ.
/// </summary>
public sealed class FederatedReport(string dataset, string protocol, int seed, FederatedOptions options)
{
    public string Dataset { get; } = dataset;
    public string Protocol { get; } = protocol;
    public int Seed { get; } = seed;
    public FederatedOptions Options { get; } = options;
    public List<FederatedComparison> Models { get; } = [];

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Dataset} ({Protocol}; seed {Seed}): {Options.Clients} clients, {Options.Participants} per round, {Options.DroppedPerRound} dropped per round" + (Options.DpNoise > 0 ? $", DP σ = {Options.DpNoise} clip {Options.DpClip}" : "")
            + (Options.SecureAggregation ? "" : "; PLAIN aggregation (tuning only, no secure aggregation)"));
        sb.AppendLine($"{"model",-8} {"fed NDCG@10",12} {"fed HR@10",10} {"cen NDCG@10",12} {"cen HR@10",10} {"ratio",6} {"rounds",7} {"best",5} {"dropped",8} {"fed s",7} {"cen s",7}");
        foreach (var m in Models)
        {
            if (m.Error is not null) { sb.AppendLine($"{m.Model,-8} failed: {m.Error}"); continue; }
            var r0 = m.Recipe;
            sb.AppendLine($"{m.Model}: {r0.LocalEpochs} local epoch(s) of {(r0.LocalSgd ? $"SGD lr {r0.LocalLearningRate}" : r0.LocalLearningRate is { } llr ? $"fresh Adam lr {llr}" : "the model's own optimizer, reset per round")}{(r0.LocalBatchSize is { } b ? $" batch {b}" : "")}; server {r0.Server} η = {r0.ServerLearningRate}"
                + (r0.UserRefitEpochs > 0 ? $"; users refitted locally ({r0.UserRefitEpochs} passes) at the start of a client's round and at the end" : ""));
            static string F(EvaluationResult? r, string k) => r is null ? "—" : r.Metrics.GetValueOrDefault(k).ToString("F4");
            sb.AppendLine($"{m.Model,-8} {F(m.Federated, "ndcg@10"),12} {F(m.Federated, "hr@10"),10} {F(m.Centralized, "ndcg@10"),12} {F(m.Centralized, "hr@10"),10} {(m.Ratio is { } r ? r.ToString("P0") : "—"),6} "
                + $"{(m.Training is { } tr ? tr.RefitRounds > 0 ? $"{tr.Rounds}+{tr.RefitRounds}" : tr.Rounds.ToString() : "—"),7} {m.Training?.BestRound.ToString() ?? "—",5} {m.Training?.DroppedTotal.ToString() ?? "—",8} {m.Training?.WallSeconds.ToString("F0") ?? "—",7} {m.CentralizedSeconds?.ToString("F0") ?? "—",7}"
                + (m.Training?.Epsilon is { } e ? $"  ε = {e:F2}, δ = {m.Training.Delta:G3}" : ""));
        }
        return sb.ToString();
    }

    public void WriteJson(string path)
    {
        Reports.JsonFile.Write(path, w =>
        {
            w.WriteStartObject();
            w.WriteString("dataset", Dataset);
            w.WriteString("protocol", Protocol);
            w.WriteNumber("seed", Seed);
            w.WriteNumber("clients", Options.Clients);
            w.WriteNumber("fraction", Options.Fraction);
            w.WriteNumber("participants_per_round", Options.Participants);
            w.WriteNumber("dropped_per_round", Options.DroppedPerRound);
            w.WriteNumber("threshold", Options.Threshold);
            w.WriteBoolean("secure_aggregation", Options.SecureAggregation);
            w.WriteNumber("dp_noise", Options.DpNoise);
            if (Options.DpNoise > 0) w.WriteNumber("dp_clip", Options.DpClip);
            w.WriteStartArray("models");
            foreach (var m in Models)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Model);
                if (m.Error is not null) w.WriteString("error", m.Error);
                w.WriteNumber("local_epochs", m.Recipe.LocalEpochs);
                w.WriteString("local_optimizer", m.Recipe.LocalSgd ? "sgd" : "model default (reset per round)");
                Number(w, "local_lr", m.Recipe.LocalLearningRate);
                Number(w, "local_batch", m.Recipe.LocalBatchSize);
                w.WriteString("server_optimizer", m.Recipe.Server.ToString());
                w.WriteNumber("server_lr", m.Recipe.ServerLearningRate);
                w.WriteNumber("user_refit_epochs", m.Recipe.UserRefitEpochs);
                Metric(w, "federated_ndcg@10", m.Federated, "ndcg@10");
                Metric(w, "federated_hr@10", m.Federated, "hr@10");
                Metric(w, "centralized_ndcg@10", m.Centralized, "ndcg@10");
                Metric(w, "centralized_hr@10", m.Centralized, "hr@10");
                Number(w, "ratio", m.Ratio);
                if (m.Training is { } t)
                {
                    w.WriteNumber("rounds", t.Rounds);
                    w.WriteNumber("best_round", t.BestRound);
                    w.WriteNumber("refit_rounds", t.RefitRounds);
                    Number(w, "best_validation_ndcg@10", t.BestValidationNdcg);
                    w.WriteNumber("clients", Options.Clients);
                    w.WriteNumber("participants_per_round", t.ParticipantsPerRound);
                    w.WriteNumber("dropped", t.DroppedTotal);
                    w.WriteNumber("federated_wall_seconds", Math.Round(t.WallSeconds, 3));
                    Number(w, "epsilon", t.Epsilon);
                    Number(w, "delta", t.Delta);
                }
                Number(w, "centralized_wall_seconds", m.CentralizedSeconds is { } s ? Math.Round(s, 3) : null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void Metric(Utf8JsonWriter w, string name, EvaluationResult? r, string key) =>
        Number(w, name, r is not null && r.Metrics.TryGetValue(key, out var v) ? v : null);

    private static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }
}
