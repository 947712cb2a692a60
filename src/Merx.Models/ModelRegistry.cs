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
        [Sequential.SasRec.AdversarialName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { AdversarialEpsilon = 0.1f }),
        [Sequential.SasRec.IpwName] = () => new Sequential.SasRec(new Sequential.SasRecOptions { PopularityIpw = 0.5f }),
    };

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
    };

    private static readonly HashSet<string> TextReaders = new(StringComparer.Ordinal)
    {
        TextContent.ModelName, Sequential.SasRec.ModelName, Sequential.SasRec.IdDropoutName, Sequential.SasRec.AdversarialName,
        Sequential.SasRec.IpwName,
    };

    /// <summary>Whether the model reads item text vectors (<see cref="Core.Contracts.TrainingData.Text"/>) when they are given: hosts compute them only then.</summary>
    public static bool ReadsText(string name) => TextReaders.Contains(name);

    /// <summary>Every registered model name, sorted.</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>A new, unfitted model with default settings.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static IRecommender Create(string name) =>
        Factories.TryGetValue(name, out var f) ? f() : throw new ArgumentException($"unknown model '{name}' (known: {string.Join(", ", Names)})", nameof(name));

    /// <summary>Reads a model payload written by <see cref="IRecommender.Write"/>; the loader to pass to ModelFile/ModelPackage.</summary>
    public static IRecommender Read(string name, BinaryReader reader) =>
        Readers.TryGetValue(name, out var r) ? r(reader) : throw new InvalidDataException($"no reader registered for model '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>Adds (or replaces) a model family: its factory and its payload reader.</summary>
    public static void Register(string name, Func<IRecommender> factory, Func<BinaryReader, IRecommender> reader)
    {
        lock (Factories) { Factories[name] = factory; Readers[name] = reader; }
    }

    /// <summary>Loads a model saved with <see cref="ModelFile.Save(string, IRecommender)"/>.</summary>
    public static IRecommender Load(string path) => ModelFile.Load(path, Read);
}
