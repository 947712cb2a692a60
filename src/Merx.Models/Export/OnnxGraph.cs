using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Merx.Models.Export;

/// <summary>
/// A small builder of ONNX models (the onnx.proto3 messages written field by field with Google.Protobuf's
/// wire encoder; no generated classes): float and int64 initializers, nodes with int, float, ints and
/// string attributes, graph inputs and outputs with symbolic dimensions. Just enough to export Merx's
/// own networks; the written file is checked by running it in ONNX Runtime (the Transformer's export test).
/// </summary>
public sealed class OnnxGraph(string name)
{
    // onnx.proto TensorProto.DataType
    public const int Float = 1, Int64 = 7;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private int _counter;

    /// <summary>A fresh tensor name with this prefix.</summary>
    public string Fresh(string prefix) => $"{prefix}_{_counter++}";

    /// <summary>A float initializer of the given shape (row-major data); returns its name.</summary>
    public string Initializer(string tensor, ReadOnlySpan<float> data, params long[] dims)
    {
        if (dims.Aggregate(1L, (a, b) => a * b) != data.Length) throw new ArgumentException($"{tensor}: {data.Length} values for shape [{string.Join(", ", dims)}]");
        var raw = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        _initializers.Add(Message(w =>
        {
            foreach (var d in dims) { w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt64(d); }
            w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32(Float);
            w.WriteTag(8, WireFormat.WireType.LengthDelimited); w.WriteString(tensor);
            w.WriteTag(9, WireFormat.WireType.LengthDelimited); w.WriteBytes(raw);
        }));
        return tensor;
    }

    /// <summary>An int64 initializer (a scalar when <paramref name="dims"/> is empty); returns its name.</summary>
    public string Int64Initializer(string tensor, long[] data, params long[] dims)
    {
        _initializers.Add(Message(w =>
        {
            foreach (var d in dims) { w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt64(d); }
            w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32(Int64);
            w.WriteTag(8, WireFormat.WireType.LengthDelimited); w.WriteString(tensor);
            w.WriteTag(9, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())));
        }));
        return tensor;
    }

    /// <summary>A graph input or output: element type and dimensions (a string is a symbolic dimension, a number a fixed one).</summary>
    public void Input(string tensor, int elementType, params object[] dims) => _inputs.Add(ValueInfo(tensor, elementType, dims));
    public void Output(string tensor, int elementType, params object[] dims) => _outputs.Add(ValueInfo(tensor, elementType, dims));

    /// <summary>Adds a node of the default domain; returns its (first) output's name, made fresh.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) => Node(op, inputs, [Fresh(op.ToLowerInvariant())], attributes)[0];

    /// <summary>Adds a node with named outputs.</summary>
    public string[] Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        _nodes.Add(Message(w =>
        {
            foreach (var i in inputs) { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(i); }
            foreach (var o in outputs) { w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(o); }
            w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString(outputs[0]);
            w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteString(op);
            foreach (var (name, value) in attributes) { w.WriteTag(5, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(Attribute(name, value))); }
        }));
        return outputs;
    }

    /// <summary>The whole model (IR version 8, default opset <paramref name="opset"/>) as ONNX protobuf bytes.</summary>
    public byte[] ToBytes(int opset = 17, string producer = "merx")
    {
        var graph = Message(w =>
        {
            foreach (var n in _nodes) Field(w, 1, n);
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(name);
            foreach (var t in _initializers) Field(w, 5, t);
            foreach (var i in _inputs) Field(w, 11, i);
            foreach (var o in _outputs) Field(w, 12, o);
        });
        return Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt64(8);                   // ir_version
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(producer);  // producer_name
            Field(w, 7, graph);                                                            // graph
            Field(w, 8, Message(o => { o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(opset); })); // opset_import (default domain)
        });
    }

    private static byte[] ValueInfo(string tensor, int elementType, object[] dims) => Message(w =>
    {
        w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(tensor);
        var shape = Message(s =>
        {
            foreach (var d in dims)
                Field(s, 1, Message(x =>
                {
                    if (d is string p) { x.WriteTag(2, WireFormat.WireType.LengthDelimited); x.WriteString(p); }
                    else { x.WriteTag(1, WireFormat.WireType.Varint); x.WriteInt64(Convert.ToInt64(d)); }
                }));
        });
        var tensorType = Message(t => { t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(elementType); Field(t, 2, shape); });
        Field(w, 2, Message(t => Field(t, 1, tensorType)));
    });

    // AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7).
    private static byte[] Attribute(string name, object value) => Message(w =>
    {
        w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        switch (value)
        {
            case float f: w.WriteTag(2, WireFormat.WireType.Fixed32); w.WriteFloat(f); Type(w, 1); break;
            case int or long: w.WriteTag(3, WireFormat.WireType.Varint); w.WriteInt64(Convert.ToInt64(value)); Type(w, 2); break;
            case string s: w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFromUtf8(s)); Type(w, 3); break;
            case long[] ints: foreach (var i in ints) { w.WriteTag(8, WireFormat.WireType.Varint); w.WriteInt64(i); } Type(w, 7); break;
            default: throw new ArgumentException($"attribute {name}: unsupported value {value.GetType().Name}");
        }
    });

    private static void Type(CodedOutputStream w, int type) { w.WriteTag(20, WireFormat.WireType.Varint); w.WriteInt32(type); }

    private static void Field(CodedOutputStream w, int field, byte[] message)
    {
        w.WriteTag(field, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(message));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new CodedOutputStream(buffer, leaveOpen: true)) write(w);
        return buffer.ToArray();
    }
}
