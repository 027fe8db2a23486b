using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skiff.Linux;

public static unsafe partial class Interop
{
    /// <summary>
    /// The only native entry points the clone(2) child may call. They neither switch GC mode
    /// (SuppressGCTransition) nor touch the managed last-error slot: the child reads errno itself
    /// through <see cref="ErrnoLocation"/>. Being bound at link time (DirectPInvoke, -z now), a call
    /// is a plain machine call into libc, safe in a child that holds a copy of a multithreaded heap.
    /// </summary>
    public static partial class Raw
    {
        [LibraryImport("libc", EntryPoint = "syscall")]
        [SuppressGCTransition]
        public static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        [LibraryImport("libc", EntryPoint = "__errno_location")]
        [SuppressGCTransition]
        public static partial int* ErrnoLocation();

        /// <summary>A raw system call: the result, or minus errno.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static long Sys(long number, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0)
        {
            long result = Syscall(number, a1, a2, a3, a4, a5, a6);
            return result == -1 ? -*ErrnoLocation() : result;
        }
    }
}
