using System.CommandLine;
using System.Diagnostics;
using Merx.Core.Synthetic;

namespace Merx.Cli.Commands;

/// <summary>`merx generate`: writes a synthetic shop (items.jsonl, users.csv, events.csv) that `merx import` reads back.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var users = new Option<int>("--users") { Description = "number of users", DefaultValueFactory = _ => 10_000 };
        var items = new Option<int>("--items") { Description = "number of items", DefaultValueFactory = _ => 5_000 };
        var events = new Option<long>("--events") { Description = "number of events", DefaultValueFactory = _ => 300_000 };
        var seed = Cli.Seed();
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var images = new Option<bool>("--images") { Description = "also draw one PNG per item into OUT/images/ID.png (a shape by category in the item's colour) and name it in items.jsonl's image field: pictures to exercise `merx import` and `evaluate --images`, not real product photos" };
        var command = new Command("generate", "Generate a synthetic shop: category tree, brands, shops, users with drifting interests, sessions with a view → cart → purchase funnel. Deterministic per seed.")
        {
            users, items, events, seed, output, images,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var options = new ShopGeneratorOptions
            {
                Users = Positive(parse.GetValue(users), "--users"),
                Items = Positive(parse.GetValue(items), "--items"),
                Events = Positive(parse.GetValue(events), "--events"),
                Seed = parse.GetValue(seed),
            };
            var dir = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            var generator = new ShopGenerator(options);
            var drawn = parse.GetValue(images);
            ShopWriter.Write(generator, dir, Cli.Progress, drawn ? item => ShopImages.RelativePath(item) : null);
            if (drawn) Cli.Progress.Report($"generate: {ShopImages.Write(generator.Items(), Path.Combine(dir, "images"), Cli.Progress):N0} item images in {Path.Combine(dir, "images")}");
            Console.WriteLine($"wrote {options.Items:N0} items, {options.Users:N0} users, {options.Events:N0} events to {Path.GetFullPath(dir)} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ArgumentException($"{name} must be positive, got {value}");
}
