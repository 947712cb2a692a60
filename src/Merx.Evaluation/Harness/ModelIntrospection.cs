using System.Collections;
using System.Globalization;
using System.Reflection;
using Merx.Core.Contracts;

namespace Merx.Evaluation.Harness;

/// <summary>
/// Reads a model's settings and epoch count from its public properties, so the harness can report
/// them for any <see cref="IRecommender"/> without each model implementing a reporting interface.
/// Settings are the public scalar (or list-of-scalar) properties and the scalar properties of an
/// "…Options" property; "EpochsRun" is the epoch count.
/// </summary>
public static class ModelIntrospection
{
    private static readonly HashSet<string> NotParams = ["Name", "ItemCount", "EpochsRun", "BestEpoch"];

    public static IReadOnlyDictionary<string, string> Parameters(IRecommender model)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (NotParams.Contains(p.Name) || p.GetIndexParameters().Length > 0 || p.PropertyType.IsByRefLike) continue;
            var value = p.GetValue(model);
            if (p.Name.EndsWith("Options", StringComparison.Ordinal) && value is not null)
            {
                // A model's options record (e.g. SasRecOptions): report each setting by its own name.
                foreach (var o in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    if (o.GetIndexParameters().Length == 0 && Format(o.GetValue(value)) is { } setting) result[Snake(o.Name)] = setting;
                continue;
            }
            var text = Format(value);
            if (text is not null) result[Snake(p.Name)] = text;
        }
        return result;
    }

    public static int? Epochs(IRecommender model) =>
        model.GetType().GetProperty("EpochsRun")?.GetValue(model) is int e ? e : null;

    private static string? Format(object? v) => v switch
    {
        null => null,
        string s => s,
        Enum e => e.ToString(),
        IFormattable f when v.GetType().IsPrimitive => f.ToString(null, CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IEnumerable list when v.GetType().IsGenericType || v is Array =>
            list.Cast<object?>().All(x => x is IFormattable or IRecommender)
                ? "[" + string.Join(", ", list.Cast<object?>().Select(x => x is IRecommender r ? r.Name : ((IFormattable)x!).ToString(null, CultureInfo.InvariantCulture))) + "]"
                : null,
        _ => null,
    };

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
