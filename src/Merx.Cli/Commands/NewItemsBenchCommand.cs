using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Merx.Core.Import;
using Merx.Core.Splits;
using Merx.Evaluation.Harness;

namespace Merx.Cli.Commands;

/// <summary>`merx new-items-bench`: how serving's new-item source places items with no interactions, by attributes and by attributes and text.</summary>
internal static class NewItemsBenchCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var cold = new Option<double>("--cold-items") { Description = "fraction of the test targets hidden from training (seeded): they are the new items", DefaultValueFactory = _ => 0.1 };
        var seed = Cli.Seed();
        var json = Cli.Json();
        var noText = CliText.NoTextOption();
        var cache = CliText.CacheOption();
        var command = new Command("new-items-bench", "Measure serving's new-item source on the cold-item split of `evaluate --cold-items` (leave-one-out): the hidden targets are the new items, ranked for each test user by attributes only and by attributes and the pre-trained text vectors; NDCG@10 and HR@10 among the new items, with bootstrap 95 % intervals.")
        {
            data, format, cold, seed, json, noText, cache,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var fraction = parse.GetValue(cold);
            if (fraction is <= 0 or >= 1) throw new ArgumentException("--cold-items must be a fraction in (0, 1)");
            var path = parse.GetValue(data)!;
            var options = Cli.ImportOptions(false, null);
            var report = new ImportReport(options);
            var dataset = DatasetLoader.Load(DataSources.Open(path, parse.GetValue(format), options), report);
            if (report.SkippedLines > 0) Console.Error.WriteLine(report);
            var s = parse.GetValue(seed);
            var split = Splitter.HideItems(Splitter.Create("loo", dataset.Sequences, s), fraction, s);
            var text = parse.GetValue(noText) ? null : CliText.Encode(dataset.Catalog, parse.GetValue(cache));
            var r = NewItemPlacement.Run(split, dataset.Items.Ids, dataset.Catalog, text, s, Cli.Progress);
            Console.WriteLine($"{r.Cases:N0} cold test cases; {r.NewItems:N0} new items of {r.CatalogItems:N0}; ranked among the new items:");
            Console.WriteLine($"{"new-item source",-22} {"NDCG@10",8} {"95% CI",18} {"HR@10",7} {"proposed",9}");
            foreach (var (name, sc) in new[] { ("attributes", r.Attributes), ("attributes + text", r.WithText) })
                if (sc is not null) Console.WriteLine($"{name,-22} {sc.Ndcg10,8:F4} {$"[{sc.NdcgCi.Lo:F4}, {sc.NdcgCi.Hi:F4}]",18} {sc.Hr10,7:F4} {sc.Proposed,9:P1}");
            if (!r.TextUsed) Console.WriteLine("attributes + text: not measured (no item of this data set has text, or --no-text)");
            if (parse.GetValue(json) is { } j)
            {
                JsonObject? Of(NewItemPlacement.Score? sc) => sc is null ? null : new JsonObject
                {
                    ["ndcg@10"] = sc.Ndcg10, ["ndcg@10_ci"] = new JsonArray(sc.NdcgCi.Lo, sc.NdcgCi.Hi), ["hr@10"] = sc.Hr10, ["hr@10_ci"] = new JsonArray(sc.HrCi.Lo, sc.HrCi.Hi), ["proposed"] = sc.Proposed,
                };
                var o = new JsonObject
                {
                    ["data"] = path, ["seed"] = s, ["cold_items"] = fraction, ["cases"] = r.Cases, ["new_items"] = r.NewItems, ["catalog_items"] = r.CatalogItems,
                    ["attributes"] = Of(r.Attributes), ["attributes_text"] = Of(r.WithText),
                };
                File.WriteAllText(j, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"wrote {j}");
            }
            return 0;
        }));
        return command;
    }
}
