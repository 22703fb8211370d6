// The payment start form sends itself (a gateway that starts with a POST); without scripts the
// patient presses the button.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("gateway-form");
  if (form) form.submit();
});
