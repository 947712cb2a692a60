using Merx.Core.Data;

namespace Merx.Core.Import;

/// <summary>Reads a whole data source into an in-memory <see cref="Dataset"/>: items, then users, then events.</summary>
public static class DatasetLoader
{
    public static Dataset Load(IDataSource source, ImportReport report)
    {
        var builder = new DatasetBuilder();
        foreach (var item in source.ReadItems(report)) builder.AddItem(item);
        foreach (var user in source.ReadUsers(report)) builder.AddUser(user);
        foreach (var e in source.ReadEvents(report)) builder.AddEvent(e);
        return builder.Build();
    }

    public static Dataset Load(string path, string? format = null, ImportOptions? options = null) =>
        Load(DataSources.Open(path, format, options), new ImportReport(options));
}
