using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Merx.Encoders;

/// <summary>
/// The pre-trained ImageNet ResNet18 that NuGet's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> ships as ONNX files
/// (copied to the output folder under DnnImageModels/), run on ONNX Runtime without ML.NET: the package's
/// preprocessing graph (RGB → BGR, minus the mean image) and then the network up to its global average pooling
/// (<c>Pooling395_Output_0</c>, 512 values): one unit-length 512-d vector per image. Thread-safe for concurrent calls.
/// </summary>
public sealed class ImageEncoder : IDisposable
{
    public const string ModelId = "resnet18-imagenet";
    public const int VectorDimension = 512;
    internal const string ModelFile = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    internal const string PrepFile = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";
    /// <summary>SHA-256 of the two files in Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0.</summary>
    internal const string ModelSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";
    internal const string PrepSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";
    internal const string OutputNode = "Pooling395_Output_0";

    private readonly InferenceSession _prep;
    private readonly InferenceSession _net;
    private readonly string _prepInput, _prepOutput, _netInput;

    private ImageEncoder(InferenceSession prep, InferenceSession net)
    {
        (_prep, _net) = (prep, net);
        _prepInput = prep.InputMetadata.Keys.Single();
        _prepOutput = prep.OutputMetadata.Keys.Single();
        _netInput = net.InputMetadata.Keys.Single();
        if (!net.OutputMetadata.ContainsKey(OutputNode)) throw new EncoderUnavailableException($"the image model has no output {OutputNode}");
    }

    public string Id => ModelId;
    public int Dimension => VectorDimension;

    /// <summary>Loads both ONNX files from <paramref name="folder"/> (default: the application's folder), checked against their recorded SHA-256.</summary>
    /// <exception cref="EncoderUnavailableException">A file is missing or damaged, or ONNX Runtime does not load it.</exception>
    public static ImageEncoder Load(string? folder = null, int threads = 0)
    {
        folder ??= AppContext.BaseDirectory;
        var prep = Read(Path.Combine(folder, PrepFile), PrepSha256);
        var model = Read(Path.Combine(folder, ModelFile), ModelSha256);
        try
        {
            var options = new SessionOptions();
            if (threads > 0) options.IntraOpNumThreads = threads;
            return new ImageEncoder(new InferenceSession(prep, options), new InferenceSession(model, options));
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw new EncoderUnavailableException($"the image encoder could not start on ONNX Runtime: {e.Message}", e);
        }
    }

    private static byte[] Read(string path, string sha256)
    {
        const string package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
        if (!File.Exists(path)) throw new EncoderUnavailableException($"the image encoder's model file {path} is missing: it comes with the NuGet package {package} (dotnet restore, then rebuild)");
        var bytes = File.ReadAllBytes(path);
        ModelChecksum.Verify(bytes, sha256, $"the image encoder's model file {path} ({ModelId})", package);
        return bytes;
    }

    /// <summary>The image's unit-length 512-d vector.</summary>
    /// <exception cref="ImageRejectedException">The bytes are not a usable image (see <see cref="ImageDecoding"/>).</exception>
    public float[] Encode(ReadOnlySpan<byte> image) => EncodeInput(ImageDecoding.ToNetworkInput(image));

    /// <summary>(3 × 224 × 224) RGB planes in 0..255 → the unit-length pooled features.</summary>
    internal float[] EncodeInput(float[] planes)
    {
        var input = new DenseTensor<float>(planes, [1, 3, ImageDecoding.Side, ImageDecoding.Side]);
        using var prepped = _prep.Run([NamedOnnxValue.CreateFromTensor(_prepInput, input)]);
        var x = prepped.First(v => v.Name == _prepOutput).AsTensor<float>();
        using var output = _net.Run([NamedOnnxValue.CreateFromTensor(_netInput, x)], [OutputNode]);
        var v = output.First().AsEnumerable<float>().ToArray();
        if (v.Length != VectorDimension) throw new InvalidOperationException($"the image encoder returned {v.Length} values, expected {VectorDimension}");
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
        return v;
    }

    public void Dispose() { _prep.Dispose(); _net.Dispose(); }
}
