using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merx.Core.Import;
using Merx.Evaluation.Tags;

namespace Merx.Cli.Commands;

/// <summary>`merx suggest-tags`: hides the tags of a fraction of the items and measures how well text and behaviour predict them.</summary>
internal static class SuggestTagsCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var hide = new Option<double>("--hide") { Description = "fraction of the items with tags whose tags (and category path) are hidden and predicted", DefaultValueFactory = _ => 0.1 };
        var weight = new Option<float>("--text-weight") { Description = "share of the text neighbours' votes against the behaviour neighbours' (0..1)", DefaultValueFactory = _ => 0.5f };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var noText = CliText.NoTextOption();
        var cache = CliText.CacheOption();
        var command = new Command("suggest-tags", "Hide the tags, genres and categories of a fraction of the items and suggest them from the items' text (pre-trained sentence encoder) and from the items used together with them; reports precision, recall and F1 at 3 against the most-frequent-tags baseline.")
        {
            data, format, hide, weight, seed, json, noText, cache,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(data)!;
            var options = Cli.ImportOptions(false, null);
            var report = new ImportReport(options);
            Cli.Progress.Report($"suggest-tags: reading {path}");
            var dataset = DatasetLoader.Load(DataSources.Open(path, parse.GetValue(format), options), report);
            if (report.SkippedLines > 0) Console.Error.WriteLine(report);
            var r = TagEvaluation.Run(dataset, catalog => parse.GetValue(noText) ? null : CliText.Encode(catalog, parse.GetValue(cache)),
                parse.GetValue(hide), parse.GetValue(seed), textWeight: parse.GetValue(weight), progress: Cli.Progress);
            Console.WriteLine($"{r.Hidden:N0} of {r.Items:N0} items had their tags hidden; top-{r.K} suggestions ({(r.HasText ? "text and behaviour" : "behaviour only: no item text")}):");
            Console.WriteLine($"{"source",-22} {"precision@3",11} {"recall@3",9} {"f1@3",7}");
            foreach (var (name, s) in new[] { ("text + behaviour", r.Combined), ("text only", r.TextOnly), ("behaviour only", r.BehaviourOnly), ("most frequent (base)", r.Baseline) })
                Console.WriteLine($"{name,-22} {s.Precision,11:F4} {s.Recall,9:F4} {s.F1,7:F4}");
            if (parse.GetValue(json) is { } j)
            {
                var o = new JsonObject
                {
                    ["items"] = r.Hidden, ["catalog_items"] = r.Items, ["seed"] = parse.GetValue(seed), ["hide"] = parse.GetValue(hide), ["text_weight"] = r.TextWeight, ["has_text"] = r.HasText,
                    ["precision@3"] = r.Combined.Precision, ["recall@3"] = r.Combined.Recall, ["f1@3"] = r.Combined.F1,
                    ["baseline_f1@3"] = r.Baseline.F1, ["baseline_precision@3"] = r.Baseline.Precision, ["baseline_recall@3"] = r.Baseline.Recall,
                    ["baseline_tags"] = new JsonArray(r.BaselineTags.Select(t => (JsonNode)t).ToArray()),
                    ["text_only_f1@3"] = r.TextOnly.F1, ["behaviour_only_f1@3"] = r.BehaviourOnly.F1,
                };
                File.WriteAllText(j, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {j}");
            }
            return 0;
        }));
        return command;
    }
}
