using System.Text.Json;
using Merx.Evaluation.Reports;

namespace Merx.Evaluation.Attacks;

/// <summary>What `merx attack simulate` measured.</summary>
public sealed record AttackReport(string Dataset, AttackOptions Attack, int GenuineUsers, int FakeUsers, int[] Targets, int[] Selected, int FillerPerProfile,
    int Suspects, double DetectionPrecision, double DetectionRecall, int TestUsers, IReadOnlyList<AttackModelResult> Models,
    bool DefendedIsClean = false)
{
    public double DetectionF1 => DetectionPrecision + DetectionRecall == 0 ? 0 : 2 * DetectionPrecision * DetectionRecall / (DetectionPrecision + DetectionRecall);

    /// <summary>
    /// Writes {"attack", "size", "filler", "seed", "dataset", …, "detection_precision", "detection_recall", "detection_f1",
    /// the per-model keys of the headline model (the first one: the Transformer when it was run) at the top level, and
    /// "models": [one object per model with "name", "target_hr@10_clean|attacked|defended", "ndcg@10_clean|attacked|defended",
    /// "gain_cut", "train_seconds_*", "epochs_*"]}; "defended_is_clean" says the suspects were exactly the fakes, so the
    /// defended figures (train seconds and epochs included) are the clean fit's. Non-finite values are written as null.
    /// </summary>
    public void WriteJson(string path)
    {
        JsonFile.Write(path, w =>
        {
            w.WriteStartObject();
            w.WriteString("attack", Attack.Kind.ToString().ToLowerInvariant());
            w.WriteNumber("size", Attack.Size);
            w.WriteNumber("filler", Attack.Filler);
            w.WriteNumber("seed", Attack.Seed);
            w.WriteBoolean("camouflage", Attack.Camouflage);
            w.WriteString("dataset", Dataset);
            w.WriteNumber("genuine_users", GenuineUsers);
            w.WriteNumber("fake_users", FakeUsers);
            w.WriteNumber("test_users", TestUsers);
            w.WriteNumber("filler_items_per_profile", FillerPerProfile);
            Ints(w, "targets", Targets);
            Ints(w, "selected", Selected);
            w.WriteNumber("suspects", Suspects);
            JsonFile.Number(w, "detection_precision", DetectionPrecision);
            JsonFile.Number(w, "detection_recall", DetectionRecall);
            JsonFile.Number(w, "detection_f1", DetectionF1);
            w.WriteBoolean("defended_is_clean", DefendedIsClean);
            if (Models.Count > 0)
            {
                w.WriteString("headline_model", Models[0].Model);
                ModelKeys(w, Models[0]);
            }
            w.WriteStartArray("models");
            foreach (var m in Models)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Model);
                ModelKeys(w, m);
                JsonFile.Number(w, "ndcg@10_attacked", m.Ndcg.Attacked);
                JsonFile.Number(w, "train_seconds_clean", m.TrainSeconds.Clean);
                JsonFile.Number(w, "train_seconds_attacked", m.TrainSeconds.Attacked);
                JsonFile.Number(w, "train_seconds_defended", m.TrainSeconds.Defended);
                Epochs(w, "epochs_clean", m.Epochs.Clean);
                Epochs(w, "epochs_attacked", m.Epochs.Attacked);
                Epochs(w, "epochs_defended", m.Epochs.Defended);
                if (m.Error is not null) w.WriteString("error", m.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void ModelKeys(Utf8JsonWriter w, AttackModelResult m)
    {
        JsonFile.Number(w, "target_hr@10_clean", m.TargetHr.Clean);
        JsonFile.Number(w, "target_hr@10_attacked", m.TargetHr.Attacked);
        JsonFile.Number(w, "target_hr@10_defended", m.TargetHr.Defended);
        JsonFile.Number(w, "gain_cut", m.GainCut);
        JsonFile.Number(w, "ndcg@10_clean", m.Ndcg.Clean);
        JsonFile.Number(w, "ndcg@10_defended", m.Ndcg.Defended);
    }

    private static void Epochs(Utf8JsonWriter w, string name, int? e)
    {
        if (e is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void Ints(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
