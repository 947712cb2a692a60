using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// Column encodings of the catalog and the served log, shared by every SQL backend: lists and attribute maps as JSON text
/// (NULL when empty), created_at as round-trip ISO 8601 ("o", keeps ticks and offset), in_stock as 0/1.
/// </summary>
internal static class StoreJson
{
    public static string? List(IReadOnlyList<string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    public static string? Attributes(IReadOnlyDictionary<string, string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    public static string[] ReadList(string? json) => json is null ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];

    public static IReadOnlyDictionary<string, string> ReadAttributes(string? json) =>
        json is null ? Item.EmptyAttributes : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new Dictionary<string, string>();

    /// <summary>Binds parameters in <c>ItemColumns</c> order: id, title, description, category, brand, shop, price, tags, attributes, created, in stock.</summary>
    public static void BindItem(DbParameter[] p, Item item)
    {
        p[0].Value = item.Id;
        p[1].Value = (object?)item.Title ?? DBNull.Value;
        p[2].Value = (object?)item.Description ?? DBNull.Value;
        p[3].Value = (object?)List(item.CategoryPath) ?? DBNull.Value;
        p[4].Value = (object?)item.Brand ?? DBNull.Value;
        p[5].Value = (object?)item.Shop ?? DBNull.Value;
        p[6].DbType = DbType.Double;
        p[6].Value = item.Price is { } price ? price : DBNull.Value;
        p[7].Value = (object?)List(item.Tags) ?? DBNull.Value;
        p[8].Value = (object?)Attributes(item.Attributes) ?? DBNull.Value;
        p[9].Value = item.CreatedAt is { } at ? at.ToString("o", CultureInfo.InvariantCulture) : DBNull.Value;
        p[10].DbType = DbType.Int64;
        p[10].Value = item.InStock ? 1L : 0L;
    }

    /// <summary>
    /// Reads an item from <c>ItemColumns</c> starting at column <paramref name="o"/>. A bulk read passes one
    /// <paramref name="pool"/> for all its rows, so items share their equal category paths, brands, shops, tags and
    /// attribute maps instead of each holding copies; a single read passes a new one.
    /// </summary>
    public static Item ReadItem(DbDataReader r, int o, CatalogValuePool pool) => new()
    {
        Id = r.GetString(o),
        Title = Text(r, o + 1),
        Description = Text(r, o + 2),
        CategoryPath = pool.List(Text(r, o + 3)),
        Brand = pool.Text(Text(r, o + 4)),
        Shop = pool.Text(Text(r, o + 5)),
        Price = r.IsDBNull(o + 6) ? null : r.GetDouble(o + 6),
        Tags = pool.List(Text(r, o + 7)),
        Attributes = pool.Attributes(Text(r, o + 8)),
        CreatedAt = Text(r, o + 9) is { } at ? DateTimeOffset.ParseExact(at, "o", CultureInfo.InvariantCulture) : null,
        InStock = r.GetInt64(o + 10) != 0,
    };

    public static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>The columns <see cref="ReadServed"/> reads, in order (PostgreSQL's JSONB columns as text).</summary>
    public const string ServedColumns = "id, user_ext, at, model, path, variant, items, explored, user_group, logging";

    /// <summary>A served list from a row of <see cref="ServedColumns"/>, items, explored marks and the logging record as JSON.</summary>
    public static ServedRecommendation ReadServed(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
            r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
            JsonSerializer.Deserialize<string[]>(r.GetString(6)) ?? [], JsonSerializer.Deserialize<bool[]>(r.GetString(7)) ?? [])
        {
            UserGroup = Text(r, 8),
            Logging = Text(r, 9) is { } l ? JsonSerializer.Deserialize<LoggingJson>(l) is { } j ? new SlotLogging(j.n, j.r, j.p) { DrawCap = j.cap, CappedSlots = j.capped, Presences = j.q, CappedPresences = j.cappedq } : null : null,
        };

    /// <summary>
    /// The logging record as stored: {"n": candidates, "r": [exploit ranks], "p": [propensities]}, with "q": [presences]
    /// when logged, and "cap", "capped", "cappedq" when the propensities were redrawn.
    /// </summary>
    public static string? WriteLogging(SlotLogging? l) => l is null ? null
        : JsonSerializer.Serialize(new LoggingJson(l.Candidates, [.. l.ExploitRanks], [.. l.Propensities], l.DrawCap, l.CappedSlots, l.Presences is { } q ? [.. q] : null, l.CappedPresences));

    private sealed record LoggingJson(int n, int[] r, double[] p,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int cap = 0,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int capped = 0,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double[]? q = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int cappedq = 0);

    /// <summary>Groups (served list, clicked item) rows, ordered by list, into outcomes: each list once, its clicked items each once.</summary>
    public static IReadOnlyList<ServedOutcome> Outcomes(DbDataReader r)
    {
        var result = new List<ServedOutcome>();
        ServedRecommendation? current = null; List<string>? clicks = null;
        while (r.Read())
        {
            var id = r.GetString(0);
            if (current?.Id != id)
            {
                if (current is not null) result.Add(new ServedOutcome(current, clicks!));
                current = ReadServed(r); clicks = [];
            }
            if (!r.IsDBNull(10) && r.GetString(10) is var item && !clicks!.Contains(item)) clicks.Add(item);
        }
        if (current is not null) result.Add(new ServedOutcome(current, clicks!));
        return result;
    }
}
