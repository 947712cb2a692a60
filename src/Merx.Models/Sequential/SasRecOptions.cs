namespace Merx.Models.Sequential;

/// <summary>Size and training settings of the sequential Transformer. Defaults are the Amazon-scale recipe.</summary>
public sealed record SasRecOptions
{
    public int Dim { get; init; } = 64;
    public int Blocks { get; init; } = 2;
    public int Heads { get; init; } = 1;
    /// <summary>
    /// Most recent items a user is represented by; 0 = from the data: the 90th percentile of
    /// training sequence lengths rounded up to a multiple of 50, between 50 and 200 (Amazon-like
    /// data gets 50, MovieLens-like data 200: the lengths the SASRec literature uses for them).
    /// </summary>
    public int MaxLength { get; init; }
    /// <summary>Hidden width of the feed-forward layer as a multiple of <see cref="Dim"/>.</summary>
    public int FfnMultiplier { get; init; } = 1;
    public float Dropout { get; init; } = 0.3f;
    public float LearningRate { get; init; } = 1e-3f;
    public float WeightDecay { get; init; }
    public float ClipNorm { get; init; } = 5f;
    public int BatchSize { get; init; } = 128;
    public int MaxEpochs { get; init; } = 200;
    /// <summary>Validation checks without improvement before stopping.</summary>
    public int Patience { get; init; } = 3;
    /// <summary>Epochs between validation checks.</summary>
    public int EvalEvery { get; init; } = 2;
    /// <summary>At most this many validation users are scored per check (all when 0); a fixed seeded sample.</summary>
    public int ValidationUsers { get; init; }
    /// <summary>
    /// Negatives per batch for sampled softmax with log-Q correction (popularity proposal); 0 =
    /// full softmax over the catalog, which is the default up to <see cref="FullSoftmaxMaxItems"/> items.
    /// </summary>
    public int SampledNegatives { get; init; }
    /// <summary>
    /// With sampled softmax, a training step updates only the item rows it touched (the batch's items, its targets and the
    /// step's negatives) by a lazy AdamW step (<see cref="Merx.Numerics.AdamW.StepRows"/>), and holds no item-sized gradient:
    /// at 10M items and D 64 that is two 2.56 GB tables not held and 640M parameters not stepped per batch. An untouched row
    /// keeps its value, where the dense step would keep moving it by its decaying momentum. False: the dense step over every
    /// row (the comparison is in bench/results/serving-scale.md). Adversarial training always steps densely (its perturbation
    /// covers every item).
    /// </summary>
    public bool LazyItemRows { get; init; } = true;
    /// <summary>Above this many items, training switches to sampled softmax with 2,048 negatives unless <see cref="SampledNegatives"/> says otherwise.</summary>
    public int FullSoftmaxMaxItems { get; init; } = 200_000;
    /// <summary>
    /// After selecting the epoch count on validation, train again from scratch on the training
    /// sequences plus each user's validation item for that many epochs (test items are never used).
    /// </summary>
    public bool RefitWithValidation { get; init; } = true;
    /// <summary>Add the mean of the item's side-information embeddings (category, brand, tags, attributes) to its id embedding.</summary>
    public bool UseSideInformation { get; init; } = true;
    /// <summary>
    /// Id-embedding dropout for cold start: in each training step, each item with side information
    /// is represented by its side information alone with this probability, so the attribute
    /// pathway learns to stand alone (as it must for an item never seen in training). 0 = off.
    /// </summary>
    public float IdDropout { get; init; }
    /// <summary>
    /// Adversarial training of the item representations (APR, He et al., SIGIR 2018; the fast gradient method, Goodfellow
    /// et al. 2015): each step also trains on the worst-case perturbation of every item vector (input and tied output
    /// alike), δᵢ = ε·‖rᵢ‖·gᵢ/‖gᵢ‖ where gᵢ is the clean loss's gradient for item i, so ε is the perturbation's length as a
    /// share of the item vector's own. 0 = off (the default). A defence against fake profiles that nudge a target item's
    /// vector (bench/results/trust-attacks.md); costs a second forward and backward pass per step.
    /// </summary>
    public float AdversarialEpsilon { get; init; }
    /// <summary>
    /// What placing a new item is worth against placing a known one, when the cold items' imputation and boost are chosen
    /// on validation (<see cref="SasRec.ColdBoost"/>): each pseudo-cold case counts this many times beside a known one, after
    /// the cases are re-weighted to the catalog's own share of new items. 1 (the
    /// default) takes the shop's own mix of targets as it is, and keeps a boost only where it gains more than it costs the
    /// other users; a shop launching a collection may value new items more (model <c>sasrec-new:W</c>), at a cost to the
    /// known items' accuracy that the choice's progress line and <c>evaluate --cold-items</c>'s "+warm" row state.
    /// </summary>
    public float NewItemWeight { get; init; } = 1f;
    /// <summary>λ, the weight of the adversarial loss beside the clean one (APR's λ).</summary>
    public float AdversarialWeight { get; init; } = 1f;

    /// <summary>
    /// Inverse-propensity weighting of the training targets against popularity (exposure) bias: an item's propensity of being
    /// seen is taken as count^η (its training occurrences; Yang et al., RecSys 2018, "Unbiased offline recommender evaluation
    /// for missing-not-at-random implicit feedback"), and each next-item target's loss is weighted by the inverse,
    /// normalised so the weights average 1 over the training targets and clipped at <see cref="IpwClip"/>. Popular targets
    /// count less, rare ones more, so the model stops learning the exposure it was shown. η = 0: off (the default, every
    /// target counts once, training exactly as before). The cost in accuracy and the change in head share are in
    /// bench/results/bias.md.
    /// </summary>
    public float PopularityIpw { get; init; }
    /// <summary>The largest inverse-propensity weight, as a multiple of the mean weight (clipping bounds the variance).</summary>
    public float IpwClip { get; init; } = 10f;

    /// <summary>
    /// Leave the items that never occur in the training sequences out of the training softmax (they cannot be
    /// targets there, so as full-softmax negatives they would only teach the shared side-information pathway
    /// to push down items like them: exactly the new items it must place). Null = on when the model reads
    /// item text vectors and off otherwise, so a model without text trains exactly as before.
    /// </summary>
    public bool? MaskUntrainedItems { get; init; }

    /// <summary>The options with <see cref="MaxLength"/> resolved from the training sequence lengths.</summary>
    public SasRecOptions Resolve(Merx.Core.Data.UserSequences train)
    {
        if (MaxLength > 0) return SampledNegatives == 0 && train.ItemCount > FullSoftmaxMaxItems ? this with { SampledNegatives = 2048 } : this;
        var lengths = Enumerable.Range(0, train.UserCount).Select(train.LengthOf).Where(n => n > 0).Order().ToArray();
        var p90 = lengths.Length == 0 ? 0 : lengths[(int)(0.9 * (lengths.Length - 1))];
        var resolved = this with { MaxLength = Math.Clamp((p90 + 49) / 50 * 50, 50, 200) };
        return resolved.SampledNegatives == 0 && train.ItemCount > FullSoftmaxMaxItems ? resolved with { SampledNegatives = 2048 } : resolved;
    }

    public void Validate()
    {
        if (Dim <= 0 || Blocks <= 0 || Heads <= 0 || Dim % Heads != 0) throw new ArgumentException("Dim must be a positive multiple of Heads, Blocks positive");
        if (MaxLength is < 0 or 1) throw new ArgumentException("MaxLength must be 0 (from the data) or at least 2");
        if (Dropout is < 0 or >= 1) throw new ArgumentException("Dropout must be in [0, 1)");
        if (IdDropout is < 0 or >= 1) throw new ArgumentException("IdDropout must be in [0, 1)");
        if (!(AdversarialEpsilon >= 0) || float.IsInfinity(AdversarialEpsilon) || !(AdversarialWeight >= 0) || float.IsInfinity(AdversarialWeight))
            throw new ArgumentException("AdversarialEpsilon and AdversarialWeight must be finite numbers ≥ 0");
        if (!(NewItemWeight > 0 && NewItemWeight <= 100)) throw new ArgumentException("NewItemWeight must be in (0, 100]");
        if (!(PopularityIpw >= 0 && PopularityIpw <= 2)) throw new ArgumentException("PopularityIpw (η) must be in [0, 2]");
        if (!(IpwClip >= 1) || float.IsInfinity(IpwClip)) throw new ArgumentException("IpwClip must be a finite number ≥ 1");
        if (BatchSize <= 0 || MaxEpochs <= 0 || LearningRate <= 0) throw new ArgumentException("BatchSize, MaxEpochs and LearningRate must be positive");
    }
}
