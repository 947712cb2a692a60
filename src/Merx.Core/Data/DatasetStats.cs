using System.Text.Json;
using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// What a data set holds. <see cref="Users"/> and <see cref="Items"/> count those that appear in at
/// least one event (the figures papers report: a catalog entry nobody touched is not an item of the
/// data set); <see cref="CatalogItems"/> counts catalog entries.
/// </summary>
public sealed record DatasetStats
{
    public long Users { get; init; }
    public long Items { get; init; }
    public long CatalogItems { get; init; }
    public long Events { get; init; }
    public long[] EventsByKind { get; init; } = new long[EventKinds.Count];
    public long SkippedLines { get; init; }
    /// <summary>Events with an item per active user: min, p25, median, p75, p90, max.</summary>
    public int[] SequenceLengthQuantiles { get; init; } = new int[6];
    public double MeanSequenceLength { get; init; }
    /// <summary>1 − distinct (user, item) pairs / (users × items).</summary>
    public double Sparsity { get; init; }
    public long FirstTimestamp { get; init; }
    public long LastTimestamp { get; init; }

    public static DatasetStats Compute(Dataset data, long skippedLines = 0)
    {
        var log = data.Events;
        var userActive = new bool[data.UserCount];
        var itemActive = new bool[data.ItemCount];
        long first = long.MaxValue, last = long.MinValue;
        for (var i = 0; i < log.Count; i++)
        {
            userActive[log.User[i]] = true;
            if (log.Item[i] >= 0) itemActive[log.Item[i]] = true;
            first = Math.Min(first, log.Timestamp[i]);
            last = Math.Max(last, log.Timestamp[i]);
        }
        var seq = data.Sequences;
        var lengths = Enumerable.Range(0, seq.UserCount).Select(seq.LengthOf).Where(n => n > 0).Order().ToArray();
        int Q(double q) => lengths.Length == 0 ? 0 : lengths[(int)Math.Round(q * (lengths.Length - 1))];
        long pairs = 0;
        var seen = new HashSet<int>();
        for (var u = 0; u < seq.UserCount; u++)
        {
            seen.Clear();
            foreach (var item in seq.ItemsOf(u)) seen.Add(item);
            pairs += seen.Count;
        }
        var users = userActive.LongCount(a => a);
        var items = itemActive.LongCount(a => a);
        return new DatasetStats
        {
            Users = users,
            Items = items,
            CatalogItems = data.Catalog.LongCount(i => i is not null),
            Events = log.Count,
            EventsByKind = log.CountByKind(),
            SkippedLines = skippedLines,
            SequenceLengthQuantiles = [Q(0), Q(0.25), Q(0.5), Q(0.75), Q(0.9), Q(1)],
            MeanSequenceLength = lengths.Length == 0 ? 0 : lengths.Average(),
            Sparsity = users * items == 0 ? 1 : 1 - (double)pairs / (users * (double)items),
            FirstTimestamp = log.Count == 0 ? 0 : first,
            LastTimestamp = log.Count == 0 ? 0 : last,
        };
    }

    /// <summary>
    /// Writes <c>{"users", "items", "events", "events_by_kind": {all eight kinds}, "skipped_lines",
    /// "catalog_items", "sequence_length": {…}, "sparsity", "first_timestamp", "last_timestamp"}</c>.
    /// </summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("users", Users);
        w.WriteNumber("items", Items);
        w.WriteNumber("events", Events);
        w.WriteStartObject("events_by_kind");
        foreach (var kind in EventKinds.All) w.WriteNumber(kind.ToWireName(), EventsByKind[(int)kind]);
        w.WriteEndObject();
        w.WriteNumber("skipped_lines", SkippedLines);
        w.WriteNumber("catalog_items", CatalogItems);
        w.WriteStartObject("sequence_length");
        string[] names = ["min", "p25", "median", "p75", "p90", "max"];
        for (var i = 0; i < names.Length; i++) w.WriteNumber(names[i], SequenceLengthQuantiles[i]);
        w.WriteNumber("mean", Math.Round(MeanSequenceLength, 3));
        w.WriteEndObject();
        w.WriteNumber("sparsity", Math.Round(Sparsity, 6));
        w.WriteNumber("first_timestamp", FirstTimestamp);
        w.WriteNumber("last_timestamp", LastTimestamp);
        w.WriteEndObject();
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true })) WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
