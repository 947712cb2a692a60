using System.Runtime.InteropServices;

namespace Merx.Models.Classic;

/// <summary>Length-prefixed array payloads shared by the classic models' Write/Read.</summary>
internal static class ModelIO
{
    public static void WriteArray<T>(BinaryWriter w, T[] values) where T : unmanaged
    {
        w.Write(values.LongLength);
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static T[] ReadArray<T>(BinaryReader r) where T : unmanaged
    {
        var n = r.ReadInt64();
        if (n < 0 || n > Array.MaxLength) throw new InvalidDataException($"array length {n} is invalid");
        var values = new T[n];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (r.Read(bytes) != bytes.Length)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var got = r.Read(bytes[done..]);
                if (got == 0) throw new InvalidDataException("model payload is truncated");
                done += got;
            }
        }
        return values;
    }

    public static void CheckVersion(BinaryReader r, int expected, string model)
    {
        var v = r.ReadInt32();
        if (v != expected) throw new InvalidDataException($"{model} payload version {v}; this build reads {expected}");
    }
}
