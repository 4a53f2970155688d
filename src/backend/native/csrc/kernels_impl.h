// Every compute kernel of one instruction-set build, and that build's table. Included
// inside namespace anvil::<isa> by isa_avx512.cc, isa_avx2.cc and isa_portable.cc, each
// of which sets the compiler's target for the code that follows.

#include "common_impl.h"
#include "gemm_impl.h"
#include "nn_impl.h"
#include "attention_impl.h"

static const Ops table = {
    ISA_NAME,      gemm,       binary,  affine,    reduce_last,   reduce_last_bwd,   norm,
    norm_bwd,      activation, activation_bwd, rope, attention, attention_bwd, softmax,
    softmax_bwd,   cross_entropy, cross_entropy_bwd, dropout, adamw, sum_squares,
};
