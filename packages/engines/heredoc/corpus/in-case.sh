# corpus: valid
case x in
  x) cat <<EOF
in a case arm
EOF
  ;;
esac
echo DONE
