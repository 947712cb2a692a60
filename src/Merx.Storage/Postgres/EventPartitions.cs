namespace Merx.Storage.Postgres;

/// <summary>
/// The monthly partitions of the events table. An event's partition is the UTC calendar month of its
/// timestamp (Unix seconds; data sets without clocks, whose timestamps are positions, all fall in
/// January 1970); timestamps before 1970 or after 9999 go to the default partition, which no monthly
/// range ever overlaps, so creating a month never has to move rows. Months are created on demand, in
/// the appending transaction, before the rows that need them are copied in: a partition's range is
/// its month's [first second, first second of the next month). Which months exist is remembered per
/// process and re-read from the catalog when a creation finds one there already.
/// </summary>
internal sealed class EventPartitions
{
    /// <summary>Last second of 9999-12-31 UTC + 1: the end of the monthly ranges.</summary>
    public const long MaxTimestamp = 253_402_300_800;

    private readonly HashSet<int> _known = [];
    private readonly Lock _gate = new();

    /// <summary>Months since January 1970 of timestamp <paramref name="ts"/>, or -1 for the default partition.</summary>
    public static int MonthOf(long ts)
    {
        if (ts < 0 || ts >= MaxTimestamp) return -1;
        var d = DateTime.UnixEpoch.AddSeconds(ts);
        return (d.Year - 1970) * 12 + d.Month - 1;
    }

    /// <summary>The partition's table name and its range [from, to) in Unix seconds.</summary>
    public static (string Name, long From, long To) Range(int month)
    {
        var start = DateTime.UnixEpoch.AddMonths(month);
        var end = start.AddMonths(1);
        return ($"events_{start.Year:D4}_{start.Month:D2}", Seconds(start), Seconds(end));
    }

    private static long Seconds(DateTime d) => (long)(d - DateTime.UnixEpoch).TotalSeconds;

    /// <summary>Months in <paramref name="months"/> not known to exist yet (the caller creates them and reports them with <see cref="Created"/>).</summary>
    public List<int> Missing(IEnumerable<int> months)
    {
        lock (_gate) return months.Where(m => m >= 0 && !_known.Contains(m)).Distinct().Order().ToList();
    }

    /// <summary>Records months that exist (after creating them, or as read from the catalog).</summary>
    public void Created(IEnumerable<int> months)
    {
        lock (_gate) foreach (var m in months) _known.Add(m);
    }

    /// <summary>Forgets what is known (a rolled-back transaction may have created months that no longer exist).</summary>
    public void Reset()
    {
        lock (_gate) _known.Clear();
    }

    /// <summary>The DDL creating a month's partition (idempotent).</summary>
    public static string CreateSql(int month)
    {
        var (name, from, to) = Range(month);
        return $"CREATE TABLE IF NOT EXISTS {name} PARTITION OF events FOR VALUES FROM ({from}) TO ({to})";
    }
}
