namespace Merx.Core.Import;

/// <summary>
/// An item's image as an items file names it (issue #19): the optional <c>image</c> field, a path relative to the
/// data folder. <see cref="Path"/> is the resolved full path, or null with <see cref="Problem"/> saying why the
/// field cannot be used (absolute, a URL, outside the data folder); the importer reports that as the item's image
/// error and imports the item without an image.
/// </summary>
public sealed record ItemImageRef(string ItemId, string Field, string? Path, string? Problem)
{
    /// <summary>The items file and line that named the image (for the report).</summary>
    public string File { get; init; } = "";
    public long Line { get; init; }
}

/// <summary>A data source whose items may name image files (the generic format's <c>image</c> column or field).</summary>
public interface IItemImageSource
{
    /// <summary>
    /// The image of every item line that is itself accepted and has an image field, in file order (reads the
    /// items file again; problems of the lines themselves are <see cref="IDataSource.ReadItems"/>' to report).
    /// </summary>
    IEnumerable<ItemImageRef> ReadItemImages();
}

/// <summary>Where an items file's <c>image</c> field may point: a relative path that stays inside the data folder.</summary>
public static class ItemImagePaths
{
    /// <summary>The canonical name of the image column (renamed with <see cref="ImportOptions.ColumnMapping"/>, "image=picture").</summary>
    public const string Column = "image";

    public static ItemImageRef Resolve(string itemId, string field, string dataFolder)
    {
        if (field.Contains("://", StringComparison.Ordinal))
            return new(itemId, field, null, $"image '{FieldRules.Clip(field)}' is a URL; the import reads image files only (a path relative to the data folder)");
        if (System.IO.Path.IsPathRooted(field))
            return new(itemId, field, null, $"image '{FieldRules.Clip(field)}' is an absolute path; give a path relative to the data folder");
        var root = System.IO.Path.GetFullPath(dataFolder);
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, field));
        var inside = System.IO.Path.EndsInDirectorySeparator(root) ? root : root + System.IO.Path.DirectorySeparatorChar;
        if (!full.StartsWith(inside, StringComparison.Ordinal))
            return new(itemId, field, null, $"image '{FieldRules.Clip(field)}' points outside the data folder");
        return new(itemId, field, full, null);
    }
}
