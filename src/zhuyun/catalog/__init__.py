"""The data-resource catalog (一目录): resources, info items, share and open types, search."""
