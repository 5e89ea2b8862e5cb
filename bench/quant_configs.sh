# Sourced by bench/quant_cpu_reference.sh and test/gpu/quant_e2e.sh: the
# llama12 quantization variants of bench/quant_configs.tsv.
QUANT_CONFIGS_TSV="$(dirname "${BASH_SOURCE[0]}")/quant_configs.tsv"

# quant_options NAME PROFILE: the --quantize options of NAME, with @PROFILE@
# replaced by PROFILE; fails (status 1) for a name not in the table.
quant_options() {
  awk -F'\t' -v n="$1" -v p="$2" '
    !/^#/ && $1 == n { o = $2; gsub(/@PROFILE@/, p, o); print o; found = 1 }
    END { exit !found }' "$QUANT_CONFIGS_TSV"
}

# quant_config_names: every name in the table, in its order.
quant_config_names() {
  awk -F'\t' '!/^#/ && NF { print $1 }' "$QUANT_CONFIGS_TSV"
}
