namespace Merx.Tests.Shared;

/// <summary>
/// Locates the real data sets in <c>../shared/datasets</c> beside the repository (never committed:
/// their licences forbid it). Tests over them use <see cref="RealDataFactAttribute"/> and skip with a
/// clear message where the folder is absent.
/// </summary>
public static class RealData
{
    public static string? Root { get; } = FindRoot();

    /// <summary>Full path of a data set folder or file under shared/datasets, or null if absent.</summary>
    public static string? PathOf(string relative)
    {
        if (Root is null) return null;
        var p = Path.Combine(Root, relative);
        return Directory.Exists(p) || File.Exists(p) ? p : null;
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Merx.slnx")))
            {
                var root = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets"));
                return Directory.Exists(root) ? root : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that runs only where <c>../shared/datasets/&lt;relative&gt;</c> exists.</summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute(string relative)
    {
        if (RealData.PathOf(relative) is null) Skip = $"real data set '{relative}' not found under ../shared/datasets";
    }
}
