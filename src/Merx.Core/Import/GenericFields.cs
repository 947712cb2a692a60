using System.Globalization;
using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>Turns a generic record into a domain object, or names what is wrong with it.</summary>
internal static class GenericFields
{
    private static readonly HashSet<string> UserColumns = new(StringComparer.OrdinalIgnoreCase) { "user" };

    public static RawEvent? ToEvent(IFieldRow row, ImportOptions o, Action<string> fail)
    {
        var user = row.Text(o.ColumnFor("user"));
        if (FieldRules.CheckId(user, "user") is { } badUser) { fail(badUser); return null; }
        var kindText = row.Text(o.ColumnFor("kind"));
        if (kindText is null) { fail("missing kind"); return null; }
        if (!EventKinds.TryParse(kindText, out var kind)) { fail($"unknown kind '{FieldRules.Clip(kindText)}'"); return null; }
        var item = row.Text(o.ColumnFor("item"));
        if (item is null && kind != EventKind.Search) { fail($"a {kind.ToWireName()} event needs an item"); return null; }
        if (item is not null && FieldRules.CheckId(item, "item") is { } badItem) { fail(badItem); return null; }
        if (FieldRules.ParseTimestamp(row.Text(o.ColumnFor("timestamp")), out var ts) is { } badTime) { fail(badTime); return null; }
        if (FieldRules.ParseValue(row.Text(o.ColumnFor("value")), "value", out var value) is { } badValue) { fail(badValue); return null; }
        var query = row.Text(o.ColumnFor("query"));
        if (kind == EventKind.Search && item is null && query is null) { fail("a search event needs a query or an item"); return null; }
        var platform = row.Text(o.ColumnFor("platform"));
        if (Platforms.Problem(platform) is { } badPlatform) { fail(badPlatform); return null; }
        return new RawEvent(user!, item, kind, ts, value, row.Text(o.ColumnFor("session")), query, platform);
    }

    public static Item? ToItem(IFieldRow row, ImportOptions o, Action<string> fail)
    {
        var id = row.Text(o.ColumnFor("id")) ?? row.Text(o.ColumnFor("item"));
        if (FieldRules.CheckId(id, "item") is { } badId) { fail(badId); return null; }
        double? price = null;
        if (row.Text(o.ColumnFor("price")) is { } priceText)
        {
            if (!double.TryParse(priceText, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !double.IsFinite(p) || p < 0)
            {
                fail($"price '{FieldRules.Clip(priceText)}' is not a finite non-negative number");
                return null;
            }
            price = p;
        }
        DateTimeOffset? created = null;
        if (row.Text(o.ColumnFor("created_at")) is { } createdText)
        {
            if (FieldRules.ParseTimestamp(createdText, out var s) is { } badTime) { fail("created_at: " + badTime); return null; }
            created = DateTimeOffset.FromUnixTimeSeconds(s);
        }
        var inStock = true;
        if (row.Text(o.ColumnFor("in_stock")) is { } stockText)
        {
            if (stockText is "1" or "true" or "True" or "yes") inStock = true;
            else if (stockText is "0" or "false" or "False" or "no") inStock = false;
            else { fail($"in_stock '{FieldRules.Clip(stockText)}' is not a boolean"); return null; }
        }
        return new Item
        {
            Id = id!,
            Title = row.Text(o.ColumnFor("title")),
            Description = row.Text(o.ColumnFor("description")),
            CategoryPath = CategoryPath(row.List(o.ColumnFor("category"), '\u0000')),
            Brand = row.Text(o.ColumnFor("brand")),
            Shop = row.Text(o.ColumnFor("shop")),
            Price = price,
            Tags = row.List(o.ColumnFor("tags"), '|') ?? [],
            Attributes = row.Object(o.ColumnFor("attributes")).ToDictionary(p => p.Key, p => p.Value),
            CreatedAt = created,
            InStock = inStock,
        };
    }

    public static UserProfile? ToUser(IFieldRow row, ImportOptions o, Action<string> fail)
    {
        var userColumn = o.ColumnFor("user");
        var id = row.Text(userColumn);
        if (FieldRules.CheckId(id, "user") is { } bad) { fail(bad); return null; }
        var except = new HashSet<string>(UserColumns, StringComparer.OrdinalIgnoreCase) { userColumn };
        return new UserProfile { Id = id!, Attributes = row.Others(except).ToDictionary(p => p.Key, p => p.Value) };
    }

    /// <summary>A category given as a JSON array, or as one string "A &gt; B &gt; C" or "A/B/C".</summary>
    private static IReadOnlyList<string> CategoryPath(IReadOnlyList<string>? raw)
    {
        if (raw is null || raw.Count == 0) return [];
        if (raw.Count > 1) return raw;
        var s = raw[0];
        var parts = s.Contains('>') ? s.Split('>') : s.Split('/');
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
    }
}
