using System.Text.Json;
using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>
/// Amazon reviews in the S3-Rec preprocessing (<c>Beauty.txt</c>: one user per line,
/// <c>user item item …</c> oldest first) with an optional <c>*_item2attributes.json</c>
/// (<c>{"item": [attrId, …]}</c>). A review implies a purchase, so events are
/// <see cref="EventKind.Purchase"/>; the format has no clock, so an event's timestamp is its
/// position in the user's sequence (0, 1, 2, …). Attribute ids become item tags "a&lt;id&gt;".
/// </summary>
public sealed class AmazonSource(string sequencesPath, string? attributesPath) : IDataSource
{
    public string Format => "amazon";
    public IReadOnlyList<string> Files => attributesPath is null ? [sequencesPath] : [sequencesPath, attributesPath];

    public IEnumerable<Item> ReadItems(ImportReport report)
    {
        if (attributesPath is null) yield break;
        JsonDocument doc;
        try
        {
            using var stream = File.OpenRead(attributesPath);
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            report.Skip(attributesPath, e.LineNumber is { } l ? l + 1 : 1, "invalid JSON: " + e.Message);
            yield break;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                report.Skip(attributesPath, 1, "expected a JSON object {\"item\": [attribute ids]}");
                yield break;
            }
            var entry = 0L;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                entry++;
                report.CountLine();
                if (FieldRules.CheckId(prop.Name, "item") is { } bad) { report.Skip(attributesPath, entry, bad); continue; }
                if (prop.Value.ValueKind != JsonValueKind.Array) { report.Skip(attributesPath, entry, $"item '{FieldRules.Clip(prop.Name)}': attributes are not an array"); continue; }
                var tags = new List<string>();
                foreach (var a in prop.Value.EnumerateArray())
                    tags.Add("a" + (a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetRawText()));
                report.CountItem();
                yield return new Item { Id = prop.Name, Tags = tags };
            }
        }
    }

    public IEnumerable<UserProfile> ReadUsers(ImportReport report) => [];

    public IEnumerable<RawEvent> ReadEvents(ImportReport report)
    {
        var buffer = new List<RawEvent>();
        foreach (var (number, line) in LineFile.Read(sequencesPath, report))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length < 2) { report.Skip(sequencesPath, number, "expected 'user item [item …]'"); continue; }
            if (FieldRules.CheckId(parts[0], "user") is { } badUser) { report.Skip(sequencesPath, number, badUser); continue; }
            buffer.Clear();
            string? bad = null;
            for (var i = 1; i < parts.Length && bad is null; i++)
            {
                bad = FieldRules.CheckId(parts[i], "item");
                buffer.Add(new RawEvent(parts[0], parts[i], EventKind.Purchase, i - 1));
            }
            if (bad is not null) { report.Skip(sequencesPath, number, bad); continue; }
            foreach (var e in buffer)
            {
                report.CountEvent();
                yield return e;
            }
        }
    }
}
