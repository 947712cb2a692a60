using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models;

/// <summary>
/// Model names → factories with default settings (for the CLI's --model and the harness) and
/// model names → payload readers (for <see cref="ModelFile.Load{T}"/> and
/// <see cref="ModelPackage.Load"/>). Register new model families here.
/// </summary>
public static class ModelRegistry
{
    private static readonly Dictionary<string, Func<IRecommender>> Factories = new(StringComparer.Ordinal)
    {
        [Popularity.PopName] = () => new Popularity(),
        [Popularity.TrendingName] = () => Popularity.Trending(),
        [ItemKnn.ModelName] = () => new ItemKnn(),
        [Ease.ModelName] = () => new Ease(),
        [Als.ModelName] = () => new Als(),
        [Bpr.ModelName] = () => new Bpr(),
        [ContentBased.ModelName] = () => new ContentBased(),
        [TextContent.ModelName] = () => new TextContent(),
        [Hybrid.ModelName] = () => new Hybrid([new ItemKnn(), new ContentBased()]),
        [Sequential.SasRec.ModelName] = () => new Sequential.SasRec(),
        [Sequential.SasRec.IdOnlyName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { UseSideInformation = false }),
        [Sequential.SasRec.IdDropoutName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { IdDropout = 0.2f }),
        [Sequential.SasRec.AdversarialName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { AdversarialEpsilon = Sequential.SasRec.DefaultAdversarialEpsilon }),
        [Sequential.SasRec.IpwName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { PopularityIpw = 0.5f }),
    };

    /// <summary>
    /// Families that also take one setting in their name, <c>NAME:VALUE</c>: <c>sasrec-ipw:η</c> is the Transformer with
    /// inverse-propensity strength η in (0, 2] (plain <c>sasrec-ipw</c> is η = 0.5), <c>sasrec-adv:ε</c> the adversarially
    /// trained Transformer with perturbation size ε in (0, 2] (plain <c>sasrec-adv</c> is ε = <see cref="Sequential.SasRec.DefaultAdversarialEpsilon"/>),
    /// <c>sasrec-new:W</c> the Transformer whose cold-item placement weighs new items W times in (0, 100]. The published version keeps the full
    /// name; its payload is read by the family's reader.
    /// </summary>
    private static readonly Dictionary<string, Func<string, IRecommender>> Parametrised = new(StringComparer.Ordinal)
    {
        [Sequential.SasRec.IpwName] = v => new Sequential.SasRec(new Sequential.SasRecOptions { PopularityIpw = Setting(Sequential.SasRec.IpwName, v, "η", 0, 2) }),
        [Sequential.SasRec.AdversarialName] = v => new Sequential.SasRec(new Sequential.SasRecOptions { AdversarialEpsilon = Setting(Sequential.SasRec.AdversarialName, v, "ε", 0, 2) }),
        [Sequential.SasRec.NewItemName] = v => new Sequential.SasRec(new Sequential.SasRecOptions { NewItemWeight = Setting(Sequential.SasRec.NewItemName, v, "the new-item weight W", 0, 100) }),
    };

    private static float Setting(string family, string value, string what, float above, float atMost) =>
        float.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) && x > above && x <= atMost
            ? x : throw new ArgumentException($"model '{family}:{value}': {what} must be a number in ({above}, {atMost}], e.g. {family}:0.25");

    private static readonly Dictionary<string, Func<BinaryReader, IRecommender>> Readers = new(StringComparer.Ordinal)
    {
        [Popularity.PopName] = Popularity.Read,
        [Popularity.TrendingName] = Popularity.Read,
        [ItemKnn.ModelName] = ItemKnn.Read,
        [Ease.ModelName] = Ease.Read,
        [Als.ModelName] = Als.Read,
        [Bpr.ModelName] = Bpr.Read,
        [ContentBased.ModelName] = ContentBased.Read,
        [TextContent.ModelName] = TextContent.Read,
        [Hybrid.ModelName] = Hybrid.Read,
        [Sequential.SasRec.ModelName] = Sequential.SasRec.Read,
        [Sequential.SasRec.IdOnlyName] = Sequential.SasRec.Read,
        [Sequential.SasRec.IdDropoutName] = Sequential.SasRec.Read,
        [Sequential.SasRec.AdversarialName] = Sequential.SasRec.Read,
        [Sequential.SasRec.IpwName] = Sequential.SasRec.Read,
        [Sequential.SasRec.NewItemName] = Sequential.SasRec.Read,
    };

    private static readonly HashSet<string> TextReaders = new(StringComparer.Ordinal)
    {
        TextContent.ModelName, Sequential.SasRec.ModelName, Sequential.SasRec.IdDropoutName, Sequential.SasRec.AdversarialName,
        Sequential.SasRec.IpwName, Sequential.SasRec.NewItemName,
    };

    /// <summary>Whether the model reads item text vectors (<see cref="Core.Contracts.TrainingData.Text"/>) when they are given: hosts compute them only then.</summary>
    public static bool ReadsText(string name) => TextReaders.Contains(Family(name));

    /// <summary>Whether the model reads the catalog items' titles and descriptions itself (their words, not text vectors): a host loads them only then or when text vectors are computed.</summary>
    public static bool ReadsCatalogText(string name) => Family(name) == Classic.ContentBased.ModelName;

    /// <summary>Every registered model name, sorted (a parametrised family by its plain name).</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The names for a help text or an error: every registered name, and each parametrised family's form.</summary>
    public static string Known => $"{string.Join(", ", Names)}; with a setting: {string.Join(", ", Parametrised.Keys.Select(k => k + ":VALUE"))}";

    /// <summary>Whether <paramref name="name"/> names a model <see cref="Create"/> can build (a parametrised name with a valid setting included).</summary>
    public static bool IsKnown(string name)
    {
        if (Factories.ContainsKey(name)) return true;
        try { return TryParametrised(name) is not null; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>A new, unfitted model with default settings, or with the setting a parametrised name carries.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones), or a setting out of range.</exception>
    public static IRecommender Create(string name) =>
        Factories.TryGetValue(name, out var f) ? f() : TryParametrised(name) ?? throw new ArgumentException($"unknown model '{name}' (known: {Known})", nameof(name));

    private static IRecommender? TryParametrised(string name)
    {
        var colon = name.IndexOf(':');
        return colon > 0 && Parametrised.TryGetValue(name[..colon], out var make) ? make(name[(colon + 1)..]) : null;
    }

    /// <summary>The family of a name: the part before ':' for a parametrised family, else the name itself.</summary>
    private static string Family(string name)
    {
        var colon = name.IndexOf(':');
        return colon > 0 && Parametrised.ContainsKey(name[..colon]) ? name[..colon] : name;
    }

    /// <summary>Reads a model payload written by <see cref="IRecommender.Write"/>; the loader to pass to ModelFile/ModelPackage.</summary>
    public static IRecommender Read(string name, BinaryReader reader) =>
        Readers.TryGetValue(Family(name), out var r) ? r(reader) : throw new InvalidDataException($"no reader registered for model '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>
    /// Reads a payload for serving only: a family with a leaner serving form reads that (the Transformer keeps one
    /// item table, <see cref="Sequential.SasRec.Read(BinaryReader, bool)"/>); the others read as <see cref="Read"/> does.
    /// </summary>
    public static IRecommender ReadForServing(string name, BinaryReader reader) =>
        Readers.TryGetValue(Family(name), out var r) && r == SasRecReader ? Sequential.SasRec.Read(reader, servingOnly: true) : Read(name, reader);

    private static readonly Func<BinaryReader, IRecommender> SasRecReader = Sequential.SasRec.Read;

    /// <summary>Adds (or replaces) a model family: its factory and its payload reader.</summary>
    public static void Register(string name, Func<IRecommender> factory, Func<BinaryReader, IRecommender> reader)
    {
        lock (Factories) { Factories[name] = factory; Readers[name] = reader; }
    }

    /// <summary>Loads a model saved with <see cref="ModelFile.Save(string, IRecommender)"/>.</summary>
    public static IRecommender Load(string path) => ModelFile.Load(path, Read);
}
