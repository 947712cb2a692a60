using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>
/// A data set in some file format, read as three streams. Each stream reads its files line by line
/// (memory does not grow with the file), validates every line, and reports rejected lines to the
/// report (or throws in strict mode). Enumerating a stream twice reads the files twice.
/// </summary>
public interface IDataSource
{
    /// <summary>amazon, movielens, taobao, csv or jsonl.</summary>
    string Format { get; }

    /// <summary>The files this source reads, for messages and the import log.</summary>
    IReadOnlyList<string> Files { get; }

    IEnumerable<Item> ReadItems(ImportReport report);
    IEnumerable<UserProfile> ReadUsers(ImportReport report);
    IEnumerable<RawEvent> ReadEvents(ImportReport report);
}
