using System.CommandLine;
using Merx.Core.Contracts;
using Merx.Core.Domain;
using Merx.Models;
using Merx.Storage;
using Merx.Storage.Sqlite;

namespace Merx.Cli.Commands;

/// <summary>`merx recommend`: top-N for a user from the latest published model and the user's current history in the store.</summary>
internal static class RecommendCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var user = new Option<string>("--user") { Description = "the user's id as the shop knows it", Required = true };
        var n = new Option<int>("--n") { Description = "how many items", DefaultValueFactory = _ => 10 };
        var model = new Option<string?>("--model") { Description = "which published model (default: the latest of any)" };
        var keyFile = CliPrivacy.KeyFile();
        var command = new Command("recommend", "Recommend items for a user with the latest published model, from the user's history as it is in the store now (the id is pseudonymized with the store's key to find it).")
        {
            db, user, n, model, keyFile,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var count = parse.GetValue(n);
            if (count is < 1 or > 1000) throw new ArgumentException("--n must be between 1 and 1000");
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
            var (opened, userIds) = CliPrivacy.OpenForLookup(path, parse.GetValue(keyFile));
            using var store = opened;
            using var ids = userIds;
            var package = LoadLatest(store, parse.GetValue(model));
            var shopId = parse.GetValue(user)!;
            Print(store, package, shopId, count, ids?.ToStored(shopId) ?? shopId);
            return 0;
        }));
        return command;
    }

    public static ModelPackage LoadLatest(IMerxStore store, string? name)
    {
        var version = store.LatestModel(name) ?? throw new InvalidOperationException(name is null ? "no model published yet (run 'merx train')" : $"no published model named '{name}'");
        return Merx.Service.Serving.LoadedModel.ReadPackage(store, version.Version);
    }

    /// <summary>The user's history (oldest first, items the model knows), then the top-N with titles.</summary>
    public static void Print(IMerxStore store, ModelPackage package, string userId, int count, string storedId)
    {
        var recent = store.RecentEvents(storedId, 200);
        var history = recent.Reverse().Where(e => e.Item is not null).Select(e => package.Items.IndexOf(e.Item!)).Where(i => i >= 0).ToArray();
        Console.WriteLine($"user {userId}: {recent.Count} recent events{(recent.Count == 0 ? " (a new user: popular items)" : "")}; model {package.Name}");
        foreach (var e in recent.Take(3))
            Console.WriteLine($"  recently {e.Kind.ToWireName(),-11} {Describe(store, e.Item)}");
        var recs = package.Model.Recommend(-1, history, count);
        for (var i = 0; i < recs.Length; i++)
            Console.WriteLine($"  {i + 1,2}. {recs[i].Score,8:F3}  {Describe(store, package.Items[recs[i].Item])}");
    }

    private static string Describe(IMerxStore store, string? itemId)
    {
        if (itemId is null) return "(search)";
        var item = store.GetItem(itemId);
        return item?.Title is { } title ? $"{itemId}  {title}{(item.Category is { } c ? $"  [{c}]" : "")}" : itemId;
    }
}
