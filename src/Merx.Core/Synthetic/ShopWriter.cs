using System.Globalization;
using System.Text;
using System.Text.Json;
using Merx.Core.Domain;
using Merx.Core.Import;

namespace Merx.Core.Synthetic;

/// <summary>
/// Writes a generated shop in the generic format that <c>merx import</c> reads: <c>items.jsonl</c>,
/// <c>users.csv</c> (<c>user,age_band,region,segment</c>), <c>events.csv</c>
/// (<c>user,item,kind,timestamp,value,session,query</c>) and <c>shop.json</c> (the options and
/// counts, to reproduce the run). Events stream straight to disk. With <c>imagePath</c>, each item names its
/// image file (<c>image</c>, relative to the folder), which <c>merx import</c> decodes and embeds.
/// </summary>
public static class ShopWriter
{
    private static readonly UTF8Encoding Utf8 = new(false);

    public static void Write(ShopGenerator generator, string dir, IProgress<string>? progress = null, Func<Item, string>? imagePath = null)
    {
        Directory.CreateDirectory(dir);
        var items = WriteItems(generator, Path.Combine(dir, "items.jsonl"), imagePath);
        progress?.Report($"generate: {items:N0} items");
        using (var w = new StreamWriter(Path.Combine(dir, "users.csv"), false, Utf8, 1 << 16))
        {
            w.Write("user,age_band,region,segment\n");
            foreach (var u in generator.Users())
                w.Write($"{CsvLine.Escape(u.Id)},{u.Attributes["age_band"]},{u.Attributes["region"]},{u.Attributes["segment"]}\n");
        }
        progress?.Report($"generate: {generator.Options.Users:N0} users");
        var events = 0L;
        var byKind = new long[EventKinds.Count];
        using (var w = new StreamWriter(Path.Combine(dir, "events.csv"), false, Utf8, 1 << 20))
        {
            w.Write("user,item,kind,timestamp,value,session,query\n");
            foreach (var e in generator.Events())
            {
                w.Write(e.User); w.Write(',');
                w.Write(e.Item); w.Write(',');
                w.Write(e.Kind.ToWireName()); w.Write(',');
                w.Write(e.Timestamp.ToString(CultureInfo.InvariantCulture)); w.Write(',');
                w.Write(e.Value.ToString(CultureInfo.InvariantCulture)); w.Write(',');
                w.Write(e.Session); w.Write(',');
                w.Write(CsvLine.Escape(e.Query)); w.Write('\n');
                byKind[(int)e.Kind]++;
                if (++events % 1_000_000 == 0) progress?.Report($"generate: {events:N0} / {generator.Options.Events:N0} events");
            }
        }
        progress?.Report($"generate: {events:N0} events");
        WriteManifest(generator.Options, Path.Combine(dir, "shop.json"), items, events, byKind);
    }

    private static long WriteItems(ShopGenerator generator, string path, Func<Item, string>? imagePath)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new Utf8JsonWriter(fs);
        var n = 0L;
        foreach (var item in generator.Items())
        {
            w.WriteStartObject();
            w.WriteString("id", item.Id);
            if (item.Title is not null) w.WriteString("title", item.Title);
            if (item.Description is not null) w.WriteString("description", item.Description);
            w.WriteStartArray("category");
            foreach (var c in item.CategoryPath) w.WriteStringValue(c);
            w.WriteEndArray();
            if (item.Brand is not null) w.WriteString("brand", item.Brand);
            if (item.Shop is not null) w.WriteString("shop", item.Shop);
            if (item.Price is { } p) w.WriteNumber("price", p);
            w.WriteStartArray("tags");
            foreach (var t in item.Tags) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteStartObject("attributes");
            foreach (var (k, v) in item.Attributes) w.WriteString(k, v);
            w.WriteEndObject();
            if (item.CreatedAt is { } c0) w.WriteNumber("created_at", c0.ToUnixTimeSeconds());
            w.WriteBoolean("in_stock", item.InStock);
            if (imagePath is not null) w.WriteString(ItemImagePaths.Column, imagePath(item));
            w.WriteEndObject();
            w.Flush();
            fs.WriteByte((byte)'\n');
            w.Reset();
            n++;
        }
        return n;
    }

    private static void WriteManifest(ShopGeneratorOptions o, string path, long items, long events, long[] byKind)
    {
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("generator", "merx generate");
        w.WriteStartObject("options");
        w.WriteNumber("users", o.Users); w.WriteNumber("items", o.Items); w.WriteNumber("events", o.Events); w.WriteNumber("seed", o.Seed);
        w.WriteNumber("root_categories", o.RootCategories); w.WriteNumber("branching", o.Branching);
        w.WriteNumber("brands", o.Brands); w.WriteNumber("shops", o.Shops);
        w.WriteNumber("session_gap_seconds", o.SessionGapSeconds); w.WriteNumber("start_time", o.StartTime); w.WriteNumber("days", o.Days);
        w.WriteNumber("interest_drift", o.InterestDrift); w.WriteNumber("zipf_exponent", o.ZipfExponent);
        w.WriteEndObject();
        w.WriteNumber("items", items);
        w.WriteNumber("events", events);
        w.WriteStartObject("events_by_kind");
        foreach (var k in EventKinds.All) w.WriteNumber(k.ToWireName(), byKind[(int)k]);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
