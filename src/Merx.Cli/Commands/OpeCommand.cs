using System.CommandLine;
using Merx.Evaluation.OffPolicy;
using Merx.Evaluation.Reports;
using Merx.Service.Evaluation;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx ope`: off-policy estimates (IPS, SNIPS, doubly robust) of candidate policies from the store's served lists and clicks.</summary>
internal static class OpeCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var policies = new Option<string>("--policies") { Description = "comma-separated target policies of the ranked family: ranked (the exploit model's slate), ranked:E (ε-exploration outside its top K)", Required = true };
        var since = new Option<DateTimeOffset?>("--since") { Description = "only lists served at or after this time (ISO 8601; default: all)" };
        var confidence = new Option<double>("--confidence") { Description = "confidence level of the intervals", DefaultValueFactory = _ => 0.95 };
        var truth = new Option<string?>("--truth") { Description = "a truth file written by 'merx simulate --ope-truth': each estimate is compared with the simulator's value" };
        var examination = new Option<string>("--examination")
        {
            Description = "the chance a shopper looks at each slot, for the examination-model estimates: 'estimate' (the default: fitted on the same lists by EM, its uncertainty carried into the intervals; a log without exploration cannot give it and says so), 'dcg' (1/log2(slot + 2), the simulator's), comma-separated probabilities best slot first, or 'none'",
            DefaultValueFactory = _ => "estimate",
        };
        var json = Cli.Json();
        var command = new Command("ope", "Off-policy evaluation: estimates what candidate policies would have earned on the shop's logged traffic (served lists with propensities and their clicks): IPS, SNIPS and doubly robust, with confidence intervals, in clicks per list.")
        {
            db, policies, since, confidence, truth, examination, json,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var names = parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--policies names no policy");
            foreach (var n in names) OffPolicyTarget.Parse(n);
            var level = parse.GetValue(confidence);
            if (!(level > 0 && level < 1)) throw new ArgumentException("--confidence must be in (0, 1)");
            var truths = parse.GetValue(truth) is { } tp ? OffPolicyTruth.ReadJson(tp) : null;
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path)) throw new FileNotFoundException($"no store at {path}");
            using var store = MerxStores.Open(path);
            Cli.Progress.Report("ope: reading the served lists and clicks");
            var exam = parse.GetValue(examination)!;
            string? model = exam.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : exam;
            if (model is not null && !ExaminationModel.Estimated(model)) ExaminationModel.Parse(model, 0); // a clear error before reading the log
            var report = OffPolicyLog.Evaluate(store, names, parse.GetValue(since) ?? DateTimeOffset.MinValue, level, model);
            var (estimates, lists, skipped, redrawn, capped, cappedPresences) = (report.Estimates, report.Lists, report.Skipped, report.Redrawn, report.CappedSlots, report.CappedPresences);
            if (report.ExaminationFit is { } fit)
            {
                Console.WriteLine($"examination model estimated from the log (EM over slot × exploit-rank bucket, {fit.Replicates.Length} bootstrap replicates; {fit.Movement:P1} of the shows moved a rank out of its usual slot):");
                for (var s = 0; s < fit.Theta.Length; s++) Console.WriteLine($"  slot {s + 1,2}: θ {fit.Theta[s]:F3} [{fit.Lo[s]:F3}, {fit.Hi[s]:F3}]");
            }
            Console.WriteLine($"{lists:N0} lists with propensities ({skipped:N0} without); clicks per list, {level:P0} intervals");
            if (redrawn > 0) Console.WriteLine($"{redrawn:N0} lists with redrawn propensities (1/N, N = draws to the pick's reappearance): {capped:N0} slots reached the draw cap (their weights are biased low), {cappedPresences:N0} slots' items did not reappear in any slot");
            Console.WriteLine($"{"policy",-14} {"IPS",-26} {"SNIPS",-26} {"doubly robust",-26} {"mean w",7} {"eff. lists",10}{(truths is null ? "" : "  truth")}");
            static string F(OpeValue v) => $"{v.Value:F4} [{v.Lo:F4}, {v.Hi:F4}]";
            foreach (var e in estimates)
                Console.WriteLine($"{e.Policy,-14} {F(e.Ips),-26} {F(e.Snips),-26} {F(e.DoublyRobust),-26} {e.MeanWeight,7:F3} {e.EffectiveLists,10:N0}{(truths?.TryGetValue(e.Policy, out var t) == true ? $"  {t:F4}" : "")}");
            if (estimates.Any(e => e.Examination is not null))
            {
                Console.WriteLine($"examination model ({model}): the item counts wherever the logging policy showed it");
                Console.WriteLine($"{"policy",-14} {"IPS",-26} {"self-normalised",-26} {"mean w",7} {"eff. lists",10}");
                foreach (var e in estimates)
                    if (e.Examination is { } x) Console.WriteLine($"{e.Policy,-14} {F(x.Ips),-26} {F(x.SelfNormalised),-26} {x.MeanWeight,7:F3} {x.EffectiveLists,10:N0}");
            }
            else if (report.ExaminationNote is { } note) Console.WriteLine(note);
            if (parse.GetValue(json) is { } j)
            {
                JsonFile.Write(j, w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("lists", lists); w.WriteNumber("lists_without_propensities", skipped); JsonFile.Number(w, "confidence", level);
                    w.WriteNumber("lists_with_redrawn_propensities", redrawn); w.WriteNumber("capped_slots", capped); w.WriteNumber("capped_presences", cappedPresences);
                    if (model is not null) w.WriteString("examination", model);
                    if (report.ExaminationNote is { } en) w.WriteString("examination_note", en);
                    if (report.ExaminationFit is { } ef)
                    {
                        w.WriteStartObject("examination_fit");
                        foreach (var (key, values) in new[] { ("theta", ef.Theta), ("lo", ef.Lo), ("hi", ef.Hi) })
                        {
                            w.WriteStartArray(key);
                            foreach (var x in values) w.WriteNumberValue(Math.Round(x, 6));
                            w.WriteEndArray();
                        }
                        w.WriteNumber("resamples", ef.Replicates.Length); w.WriteNumber("seed", ef.Seed); JsonFile.Number(w, "movement", ef.Movement); w.WriteNumber("iterations", ef.Iterations);
                        w.WriteEndObject();
                    }
                    w.WriteStartArray("policies");
                    foreach (var e in estimates)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", e.Policy);
                        double? t = truths?.TryGetValue(e.Policy, out var tv) == true ? tv : null;
                        if (t is { } tt) JsonFile.Number(w, "truth", tt);
                        var values = new List<(string, OpeValue)> { ("ips", e.Ips), ("snips", e.Snips), ("dr", e.DoublyRobust) };
                        if (e.Examination is { } em) { values.Add(("exam_ips", em.Ips)); values.Add(("exam_snips", em.SelfNormalised)); }
                        foreach (var (key, v) in values)
                        {
                            w.WriteStartObject(key);
                            JsonFile.Number(w, "estimate", v.Value); JsonFile.Number(w, "lo", v.Lo); JsonFile.Number(w, "hi", v.Hi);
                            if (t is { } x) w.WriteBoolean("covers_truth", v.Covers(x));
                            w.WriteEndObject();
                        }
                        JsonFile.Number(w, "mean_weight", e.MeanWeight); JsonFile.Number(w, "effective_lists", e.EffectiveLists);
                        if (e.Examination is { } ex) { JsonFile.Number(w, "exam_mean_weight", ex.MeanWeight); JsonFile.Number(w, "exam_effective_lists", ex.EffectiveLists); }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                Console.WriteLine($"wrote {j}");
            }
            return 0;
        }));
        return command;
    }
}
