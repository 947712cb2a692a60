using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>
/// Taobao UserBehavior CSV, no header: <c>user,item,category,behavior,timestamp</c> with behaviours
/// pv / cart / fav / buy → view / add_to_cart / favorite / purchase. Items come from the same file:
/// <see cref="ReadItems"/> streams it once and yields each item the first time it appears, with its
/// category as the category path (memory grows with the number of items, not lines).
/// </summary>
public sealed class TaobaoSource(string path) : IDataSource
{
    public string Format => "taobao";
    public IReadOnlyList<string> Files => [path];

    public IEnumerable<Item> ReadItems(ImportReport report)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var quiet = new ImportReport(new ImportOptions()); // lines are validated and counted once, by ReadEvents
        foreach (var (_, line) in LineFile.Read(path, quiet))
        {
            var f = line.Split(',');
            if (f.Length != 5 || FieldRules.CheckId(f[1], "item") is not null || FieldRules.CheckId(f[2], "category") is not null) continue;
            if (!seen.Add(f[1])) continue;
            report.CountItem();
            yield return new Item { Id = f[1], CategoryPath = [f[2]] };
        }
    }

    public IEnumerable<UserProfile> ReadUsers(ImportReport report) => [];

    public IEnumerable<RawEvent> ReadEvents(ImportReport report)
    {
        foreach (var (number, line) in LineFile.Read(path, report))
        {
            var f = line.Split(',');
            if (f.Length != 5) { report.Skip(path, number, $"expected 5 fields user,item,category,behavior,timestamp, found {f.Length}"); continue; }
            var bad = FieldRules.CheckId(f[0], "user") ?? FieldRules.CheckId(f[1], "item") ?? FieldRules.CheckId(f[2], "category");
            if (bad is not null) { report.Skip(path, number, bad); continue; }
            EventKind kind;
            switch (f[3].Trim())
            {
                case "pv": kind = EventKind.View; break;
                case "cart": kind = EventKind.AddToCart; break;
                case "fav": kind = EventKind.Favorite; break;
                case "buy": kind = EventKind.Purchase; break;
                default: report.Skip(path, number, $"unknown behavior '{FieldRules.Clip(f[3])}' (expected pv, cart, fav or buy)"); continue;
            }
            if (FieldRules.ParseTimestamp(f[4], out var ts) is { } badTime) { report.Skip(path, number, badTime); continue; }
            report.CountEvent();
            yield return new RawEvent(f[0], f[1], kind, ts);
        }
    }
}
