using Merx.Core.Contracts;
using Merx.Numerics;

namespace Merx.Models.Sequential;

/// <summary>
/// Int8 inference (issue #21): <see cref="ToInt8"/> quantizes the fitted model's dense layers and
/// item representations (<see cref="SasRecInt8Weights"/>); the copy encodes users through the int8
/// layers (activations quantized per token as they arrive), and its int8 item rows are its only item table
/// (<see cref="IUserEncoder.ItemVectors"/>, d + 4 bytes an item): the history's inputs, the scores and the serving
/// item index all read them, so every reader sees exactly the vectors it ranks by. A copy of a model read for serving
/// only drops the float item table as well (its layout without one). Same answers' shape and API as the float model;
/// its accuracy on Beauty is in bench/results/int8-transformer.md.
/// </summary>
public sealed partial class SasRec : IInt8Inference
{
    private SasRecInt8Weights? _int8;
    private VectorTable? _int8Table;   // the int8 copy's item rows (_int8.Reps with their scales)

    /// <summary>Whether this is an int8 inference copy.</summary>
    public bool Int8 => _int8 is not null;

    /// <summary>The int8 weights of an inference copy (null for a float model).</summary>
    public SasRecInt8Weights? Int8Weights => _int8;

    IRecommender IInt8Inference.ToInt8() => ToInt8();

    /// <summary>
    /// An int8 inference copy of this fitted model. Its item table is int8 (no float copy of it); the other float
    /// parameters are shared read-only, never changed, except for a model read for serving only, whose parameters hold
    /// the float item table: the copy keeps only the tensors after it (a layout without the table), so the float model
    /// can be let go.
    /// </summary>
    public SasRec ToInt8()
    {
        var l = Layout;
        if (_int8 is not null) return this;
        var (layout, p) = (l, _params);
        if (_servingOnly)
        {
            layout = new SasRecLayout(Options, l.Items, l.Features, l.TextDim, itemTable: false);
            p = _params.AsSpan(l.ItemEnd, l.Total - l.ItemEnd).ToArray();
        }
        var q = new SasRec(Options)
        {
            _layout = layout, _params = p, _reps = [], _featOffsets = _featOffsets, _featIds = _featIds, _trained = _trained, _popularity = _popularity,
            _text = _text, _textEncoder = _textEncoder, _coldK = _coldK, _coldBoost = _coldBoost, _coldDirection = _coldDirection, _established = _established, _servingOnly = _servingOnly,
            EpochsRun = EpochsRun, BestEpoch = BestEpoch, BestValidationNdcg = BestValidationNdcg,
        };
        q._int8 = new SasRecInt8Weights(layout, p, _reps);
        q._int8Table = VectorTable.OfInt8(q._int8.Reps, q._int8.RepScales, l.D);
        return q;
    }

    public long WeightBytes(bool int8)
    {
        var l = Layout;
        if (int8) return (_int8 ?? new SasRecInt8Weights(l, _params, _reps)).Bytes;
        // The float model's inference weights: item representations (Items, D) and every tensor after the embeddings.
        return 4L * ((long)l.Items * l.D + l.Total - l.EmbeddingEnd - (long)l.TextDim * l.D + (long)l.T * l.D);
    }

    private void ThrowIfInt8()
    {
        if (_int8 is not null) throw new InvalidOperationException("an int8 inference copy cannot be fitted or saved: fit or save the float model, and quantize it after loading");
        ThrowIfServingOnly();
    }

    // Set by Read(servingOnly: true): the item representations took the item embeddings' place in _params.
    private bool _servingOnly;

    /// <summary>Whether the model was read for serving only (<see cref="Read(BinaryReader, bool)"/>): one item table, no fitting or saving.</summary>
    public bool ServingOnly => _servingOnly;

    private void ThrowIfServingOnly()
    {
        if (_servingOnly) throw new InvalidOperationException("a model read for serving only holds its item representations in place of its item embeddings: it cannot be fitted, refreshed or saved; read it without servingOnly for that");
    }
}
