/*
 * sal.h: Microsoft's source annotations, which Windows samples put on parameters
 * (_In_, _Out_opt_, IN, OUT...). They mean nothing to the compiler: all are empty.
 */
#ifndef WSASIM_SAL_H
#define WSASIM_SAL_H

#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _Out_
#define _Out_opt_
#define _Out_writes_(n)
#define _Out_writes_opt_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_bytes_to_(n, c)
#define _Out_writes_to_(n, c)
#define _Inout_
#define _Inout_opt_
#define _Inout_updates_(n)
#define _Inout_updates_bytes_(n)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Deref_out_
#define _Ret_maybenull_
#define _Ret_z_
#define _Success_(e)
#define _Must_inspect_result_
#define _Check_return_
#define _Field_size_(n)
#define _Field_size_bytes_(n)
#define _Field_range_(a, b)
#define _Reserved_
#define _When_(c, a)
#define _Post_invalid_
#define _Pre_

#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif

#endif /* WSASIM_SAL_H */
