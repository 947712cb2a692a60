using System.CommandLine;
using Merx.Core.Contracts;

namespace Merx.Cli.Commands;

/// <summary>
/// The --dp-* options shared by `merx evaluate` and `merx train`: user-level DP-SGD with a target ε.
/// Only --dp-epsilon is needed; the rest default from the data (δ = 1/users) or the model.
/// </summary>
internal sealed class DpOptions
{
    public Option<double?> Epsilon { get; } = new("--dp-epsilon") { Description = "train with user-level DP-SGD and stop at this ε (> 0); the models that support it: sasrec, bpr" };
    public Option<double?> Delta { get; } = new("--dp-delta") { Description = "δ of the DP guarantee, in (0, 1) (default: 1 / number of training users)" };
    public Option<float?> Clip { get; } = new("--dp-clip") { Description = "per-user gradient L2 clipping norm C (default: the model's)" };
    public Option<double?> Rate { get; } = new("--dp-rate") { Description = "Poisson sampling rate q of users per step, in (0, 1] (default: about 10% of users, 64 to 4,096 expected per step)" };
    public Option<double?> Epochs { get; } = new("--dp-epochs") { Description = "planned passes over the users; σ is calibrated so ε reaches the target at the end (default: the model's; a time budget may shorten it)" };

    public Option<float?> LearningRate { get; } = new("--dp-lr") { Description = "learning rate of the private run (default: the model's private default)" };

    public Option<double?> VocabularyShare { get; } = new("--dp-vocab-share") { Description = "share of ε in [0, 1) spent choosing which items keep their own id embedding (the Transformer, with side information); rare items are represented by their attributes (default 0: every item keeps its id; 0.1 helps short runs)" };

    public Option<string?> Accountant { get; } = new("--dp-accountant") { Description = "privacy accountant that plans the noise and reports ε: pld (privacy loss distributions by FFT, tight: less noise for the same ε) or rdp (Rényi DP, looser); the other one's ε is reported beside it (default: pld)" };

    public IEnumerable<Option> All => [Epsilon, Delta, Clip, Rate, Epochs, LearningRate, VocabularyShare, Accountant];

    /// <summary>The parsed settings, null without --dp-epsilon; a clear ArgumentException for bad values or --dp-* without --dp-epsilon.</summary>
    public DpTrainingOptions? Parse(ParseResult parse, bool seededNoise)
    {
        var eps = parse.GetValue(Epsilon);
        var delta = parse.GetValue(Delta); var clip = parse.GetValue(Clip); var rate = parse.GetValue(Rate); var epochs = parse.GetValue(Epochs); var lr = parse.GetValue(LearningRate); var vocab = parse.GetValue(VocabularyShare); var accountant = parse.GetValue(Accountant);
        if (eps is null)
        {
            if (delta is not null || clip is not null || rate is not null || epochs is not null || lr is not null || vocab is not null || accountant is not null) throw new ArgumentException("--dp-delta, --dp-clip, --dp-rate, --dp-epochs, --dp-lr, --dp-vocab-share and --dp-accountant need --dp-epsilon");
            return null;
        }
        var kind = ParseAccountant(accountant, "--dp-accountant");
        var options = new DpTrainingOptions { TargetEpsilon = eps.Value, Delta = delta, ClipNorm = clip, SamplingRate = rate, Epochs = epochs, LearningRate = lr, VocabularyShare = vocab, Accountant = kind, SeededNoise = seededNoise };
        options.Validate(OptionName);
        return options;
    }

    /// <summary>The --dp-* option that sets a <see cref="DpTrainingOptions"/> property, for its validation messages.</summary>
    private static string OptionName(string property) => property switch
    {
        nameof(DpTrainingOptions.TargetEpsilon) => "--dp-epsilon", nameof(DpTrainingOptions.Delta) => "--dp-delta", nameof(DpTrainingOptions.ClipNorm) => "--dp-clip",
        nameof(DpTrainingOptions.SamplingRate) => "--dp-rate", nameof(DpTrainingOptions.Epochs) => "--dp-epochs", nameof(DpTrainingOptions.LearningRate) => "--dp-lr",
        nameof(DpTrainingOptions.VocabularyShare) => "--dp-vocab-share", _ => "--dp-accountant",
    };

    /// <summary>"pld" or "rdp" (any case; null = pld), else a clear error naming the option.</summary>
    public static DpAccountant ParseAccountant(string? value, string option) => value?.Trim().ToLowerInvariant() switch
    {
        null or "pld" => DpAccountant.Pld,
        "rdp" => DpAccountant.Rdp,
        _ => throw new ArgumentException($"{option} must be pld or rdp (got '{value}')"),
    };

    /// <summary>Fails fast when a named model cannot train privately.</summary>
    public static void RequirePrivate(IEnumerable<string> names)
    {
        foreach (var n in names)
            if (Merx.Models.ModelRegistry.Create(n) is not IPrivatelyTrainable)
                throw new ArgumentException($"--dp-epsilon: model '{n}' has no private training (models with DP-SGD: {string.Join(", ", Merx.Models.ModelRegistry.Names.Where(m => Merx.Models.ModelRegistry.Create(m) is IPrivatelyTrainable))})");
    }
}
