using System.Text.Json;
using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>
/// The generic format, and what <c>merx generate</c> writes: events as CSV with a header
/// (<c>user,item,kind,timestamp</c>, optional <c>value,session,query,platform</c>) or as JSON Lines with the
/// same field names; items as <c>items.jsonl</c> or <c>items.csv</c>; users as <c>users.csv</c>
/// (<c>user,&lt;attribute&gt;…</c>). Other column names are mapped with
/// <see cref="ImportOptions.ColumnMapping"/>. An item may name its image file (<c>image</c>, relative to the data
/// folder; <see cref="ReadItemImages"/>).
/// </summary>
public sealed class GenericSource(string? eventsPath, string? itemsPath, string? usersPath, ImportOptions options) : IDataSource, IItemImageSource
{
    public string Format => eventsPath?.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) == true ? "jsonl" : "csv";
    public IReadOnlyList<string> Files => new[] { eventsPath, itemsPath, usersPath }.OfType<string>().ToArray();

    /// <summary>A folder holding events.csv or events.jsonl, and optionally items.jsonl/items.csv and users.csv.</summary>
    public static GenericSource FromFolder(string dir, ImportOptions options)
    {
        string? First(params string[] names) => names.Select(n => Path.Combine(dir, n)).FirstOrDefault(File.Exists);
        var events = First("events.csv", "events.jsonl");
        var items = First("items.jsonl", "items.csv");
        if (events is null && items is null) throw new FileNotFoundException($"{dir} has no events.csv, events.jsonl, items.jsonl or items.csv");
        return new GenericSource(events, items, First("users.csv"), options);
    }

    public IEnumerable<Item> ReadItems(ImportReport report)
    {
        if (itemsPath is null) return [];
        return itemsPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? JsonRows(itemsPath, report, (row, _, fail) => GenericFields.ToItem(row, options, fail), report.CountItem)
            : CsvRows(itemsPath, report, (row, _, fail) => GenericFields.ToItem(row, options, fail), report.CountItem);
    }

    public IEnumerable<ItemImageRef> ReadItemImages()
    {
        if (itemsPath is null) return [];
        var folder = Path.GetDirectoryName(Path.GetFullPath(itemsPath))!;
        var column = options.ColumnFor(ItemImagePaths.Column);
        ItemImageRef? Convert(IFieldRow row, long line, Action<string> fail)
        {
            var item = GenericFields.ToItem(row, options, fail);
            return item is not null && row.Text(column) is { } field ? ItemImagePaths.Resolve(item.Id, field, folder) with { File = Path.GetFileName(itemsPath), Line = line } : null;
        }
        // A throwaway report that never throws: the lines' own problems were reported (or, strict, refused) by ReadItems.
        var quiet = new ImportReport(options with { Strict = false, MaxReportedProblems = 0 });
        var rows = itemsPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? JsonRows(itemsPath, quiet, Convert, () => { }, skipNull: true)
            : CsvRows(itemsPath, quiet, Convert, () => { }, skipNull: true);
        return rows;
    }

    public IEnumerable<UserProfile> ReadUsers(ImportReport report) =>
        usersPath is null ? [] : CsvRows(usersPath, report, (row, _, fail) => GenericFields.ToUser(row, options, fail), report.CountUser);

    public IEnumerable<RawEvent> ReadEvents(ImportReport report)
    {
        if (eventsPath is null) return [];
        return eventsPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? JsonRows<RawEvent?>(eventsPath, report, (row, _, fail) => GenericFields.ToEvent(row, options, fail), report.CountEvent).Select(e => e!.Value)
            : CsvRows<RawEvent?>(eventsPath, report, (row, _, fail) => GenericFields.ToEvent(row, options, fail), report.CountEvent).Select(e => e!.Value);
    }

    /// <summary>Rows of a headed CSV file as name → text (names as in the header, case-insensitive).</summary>
    private IEnumerable<T> CsvRows<T>(string path, ImportReport report, Func<IFieldRow, long, Action<string>, T?> convert, Action count, bool skipNull = false)
    {
        string[]? header = null;
        var fields = new List<string>();
        foreach (var (number, line) in LineFile.Read(path, report))
        {
            if (!CsvLine.TrySplit(line, options.Delimiter, fields)) { report.Skip(path, number, "malformed CSV quoting"); continue; }
            if (header is null)
            {
                header = fields.Select(f => f.Trim()).ToArray();
                continue;
            }
            if (fields.Count != header.Length) { report.Skip(path, number, $"expected {header.Length} fields as in the header, found {fields.Count}"); continue; }
            string? reason = null;
            var value = convert(new CsvRow(header, fields), number, r => reason = r);
            if (skipNull && reason is null && value is null) continue;
            if (reason is not null || value is null) { report.Skip(path, number, reason ?? "unreadable row"); continue; }
            count();
            yield return value;
        }
    }

    private static IEnumerable<T> JsonRows<T>(string path, ImportReport report, Func<IFieldRow, long, Action<string>, T?> convert, Action count, bool skipNull = false)
    {
        foreach (var (number, line) in LineFile.Read(path, report))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { report.Skip(path, number, "invalid JSON: " + e.Message); continue; }
            T? value;
            string? reason = null;
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) { report.Skip(path, number, "a line must be one JSON object"); continue; }
                value = convert(new JsonRow(doc.RootElement), number, r => reason = r);
            }
            if (skipNull && reason is null && value is null) continue;
            if (reason is not null || value is null) { report.Skip(path, number, reason ?? "unreadable row"); continue; }
            count();
            yield return value;
        }
    }
}
