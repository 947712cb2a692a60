using System.Runtime.InteropServices;
using System.Text;
using SQLitePCL;

namespace Merx.Storage.Sqlite;

/// <summary>
/// Direct column reads from e_sqlite3 for the full-table scans (<see cref="SqliteStore.LoadDataset"/>),
/// for the same reason as <see cref="NativeBind"/>: SQLitePCL's SafeHandle and provider
/// indirection cost more than the read itself when called 7 times per row for millions of rows.
/// </summary>
internal static unsafe class NativeColumn
{
    private const string Lib = "e_sqlite3";

    [DllImport(Lib, EntryPoint = "sqlite3_column_int64"), SuppressGCTransition]
    public static extern long Int64(IntPtr stmt, int column);

    [DllImport(Lib, EntryPoint = "sqlite3_column_int"), SuppressGCTransition]
    public static extern int Int32(IntPtr stmt, int column);

    [DllImport(Lib, EntryPoint = "sqlite3_column_double"), SuppressGCTransition]
    public static extern double Double(IntPtr stmt, int column);

    [DllImport(Lib, EntryPoint = "sqlite3_column_type"), SuppressGCTransition]
    public static extern int Type(IntPtr stmt, int column);

    [DllImport(Lib, EntryPoint = "sqlite3_column_text"), SuppressGCTransition]
    private static extern byte* Utf8(IntPtr stmt, int column);

    [DllImport(Lib, EntryPoint = "sqlite3_column_bytes"), SuppressGCTransition]
    private static extern int Bytes(IntPtr stmt, int column);

    /// <summary>The column as a string, null for SQL NULL.</summary>
    public static string? TextOrNull(IntPtr stmt, int column)
    {
        if (Type(stmt, column) == raw.SQLITE_NULL) return null;
        var p = Utf8(stmt, column);
        return Encoding.UTF8.GetString(p, Bytes(stmt, column));
    }
}
